// Dockerfile -> LLB, the config side: each config instruction's change to the image config and
// the history BuildKit writes for it; RUN in shell and exec form with SHELL; ENV/ARG scoping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vertexDigest } from '../../../src/llb/index.js';
import { busyboxPath, convert, createdBy, execs, names, pinned } from './convert-helpers.js';

test('every config instruction changes the config and adds an empty-layer history entry', async () => {
  const { conversion, def, resolved } = await convert(`FROM busybox
LABEL a=b "c d"=e
MAINTAINER me@example.com
EXPOSE 80 443/udp
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --retries=3 CMD wget -q localhost
SHELL ["/bin/bash", "-c"]
CMD echo hi
ENTRYPOINT ["/entry"]
USER app
ONBUILD RUN echo child
ENV A=1 B="two words"
ARG C=3
`);
  assert.deepEqual(resolved, ['busybox']);
  const { config } = conversion;
  assert.equal(config.created, undefined);
  assert.equal(config.author, 'me@example.com');
  assert.deepEqual(config.config, {
    Env: [`PATH=${busyboxPath}`, 'A=1', 'B=two words'],
    Cmd: ['/bin/bash', '-c', 'echo hi'],
    ArgsEscaped: true,
    Labels: { a: 'b', 'c d': 'e' },
    ExposedPorts: { '443/udp': {}, '80/tcp': {} },
    Volumes: { '/data': {} },
    StopSignal: 'SIGINT',
    Healthcheck: { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 30e9, Retries: 3 },
    Shell: ['/bin/bash', '-c'],
    Entrypoint: ['/entry'],
    User: 'app',
    OnBuild: ['RUN echo child'],
  });
  assert.deepEqual(createdBy(conversion), [
    'LABEL a=b c d=e (empty)',
    'MAINTAINER me@example.com (empty)',
    'EXPOSE map[443/udp:{} 80/tcp:{}] (empty)',
    'VOLUME [/data] (empty)',
    'STOPSIGNAL SIGINT (empty)',
    `HEALTHCHECK &{["CMD-SHELL" "wget -q localhost"] "30s" "0s" "0s" "0s" '\\x03'} (empty)`,
    'SHELL [/bin/bash -c] (empty)',
    'CMD ["/bin/bash" "-c" "echo hi"] (empty)',
    'ENTRYPOINT ["/entry"] (empty)',
    'USER app (empty)',
    'ENV A=1 B=two words (empty)',
    'ARG C=3 (empty)',
  ]);
  assert.ok(conversion.history.every((h) => h.comment === 'buildkit.dockerfile.v0'));
  // The base's history comes first in the config, the new entries after it.
  assert.equal(config.history?.length, 2 + conversion.history.length);
  assert.deepEqual(config.rootfs.diff_ids, [`sha256:${'a'.repeat(64)}`]);
  assert.equal(conversion.baseImage?.ref, pinned('busybox'));
  // Config-only instructions make no vertex: the definition is the image alone.
  assert.equal(def.vertices.length, 1);
  assert.deepEqual(def.vertices[0]?.op, { type: 'source', identifier: `docker-image://${pinned('busybox')}`, attrs: {} });
  assert.deepEqual(def.vertices[0]?.platform, { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(names(def), [`[1/1] FROM ${pinned('busybox')}`]);
  assert.equal(conversion.steps, 1);
});

test('ENTRYPOINT drops the CMD inherited from the base, and shell form uses the default shell', async () => {
  const { conversion } = await convert('FROM busybox\nENTRYPOINT exec server --port 80\n');
  assert.equal(conversion.config.config?.Cmd, undefined);
  assert.deepEqual(conversion.config.config?.Entrypoint, ['/bin/sh', '-c', 'exec server --port 80']);
});

test('RUN: shell form through SHELL, exec form as given, named and recorded like BuildKit', async () => {
  const { conversion, def } = await convert(`FROM busybox
RUN echo one
SHELL ["/bin/bash", "-eu", "-c"]
RUN echo "two" && true
RUN ["/bin/echo", "three"]
`);
  assert.deepEqual(execs(def).map((e) => e.meta.args), [
    ['/bin/sh', '-c', 'echo one'],
    ['/bin/bash', '-eu', '-c', 'echo "two" && true'],
    ['/bin/echo', 'three'],
  ]);
  for (const exec of execs(def)) {
    assert.deepEqual(exec.meta.env, [`PATH=${busyboxPath}`]);
    assert.equal(exec.meta.cwd, '/');
    assert.equal(exec.meta.user, '');
    assert.equal(exec.meta.network, 'sandbox');
    assert.equal(exec.mounts.length, 1);
  }
  assert.deepEqual(names(def), [
    `[1/4] FROM ${pinned('busybox')}`,
    '[2/4] RUN echo one',
    '[3/4] RUN echo "two" && true',
    '[4/4] RUN ["/bin/echo", "three"]',
  ]);
  assert.deepEqual(createdBy(conversion), [
    'RUN /bin/sh -c echo one # buildkit',
    'SHELL [/bin/bash -eu -c] (empty)',
    'RUN /bin/bash -eu -c echo "two" && true # buildkit',
    'RUN /bin/echo three # buildkit',
  ]);
  assert.equal(conversion.steps, 4);
});

test('ENV and declared ARGs reach RUN; global ARGs only when redeclared; base env expands', async () => {
  const text = `ARG GLOBAL=g
ARG HIDDEN=h
FROM busybox
ARG GLOBAL
ARG V=1
ENV E=$V-x P=$APPDIR/bin
RUN env
ENV V=env-wins
RUN env
`;
  const { conversion, def } = await convert(text, { config: { Env: [`PATH=${busyboxPath}`, 'APPDIR=/opt/app'] } });
  const [first, second] = execs(def);
  assert.deepEqual(first?.meta.env, [`PATH=${busyboxPath}`, 'APPDIR=/opt/app', 'GLOBAL=g', 'V=1', 'E=1-x', 'P=/opt/app/bin']);
  assert.deepEqual(second?.meta.env, [`PATH=${busyboxPath}`, 'APPDIR=/opt/app', 'GLOBAL=g', 'V=env-wins', 'E=1-x', 'P=/opt/app/bin']);
  assert.deepEqual(createdBy(conversion).filter((c) => c.startsWith('RUN')), [
    'RUN |2 GLOBAL=g V=1 /bin/sh -c env # buildkit',
    'RUN |2 GLOBAL=g V=env-wins /bin/sh -c env # buildkit',
  ]);
  // ARG values are not image config; ENV values are.
  assert.deepEqual(conversion.config.config?.Env, [`PATH=${busyboxPath}`, 'APPDIR=/opt/app', 'E=1-x', 'P=/opt/app/bin', 'V=env-wins']);

  const overridden = await convert(text, { plan: { buildArgs: { V: '9' } } });
  assert.deepEqual(execs(overridden.def)[0]?.meta.env, [`PATH=${busyboxPath}`, 'GLOBAL=g', 'V=9', 'E=9-x', 'P=/bin']);
});

test('--no-cache marks every vertex ignoreCache', async () => {
  const { def } = await convert('FROM busybox\nWORKDIR /w\nRUN true\n', { noCache: true });
  assert.equal(def.vertices.length, 3);
  for (const v of def.vertices) assert.equal(def.metadata[vertexDigest(v)]?.ignoreCache, true, v.op.type);
});

test('RUN heredocs: a plain one feeds the shell, one with #! is mounted and run as a script', async () => {
  const { def, conversion } = await convert('FROM busybox\nRUN <<EOF\necho hi\necho there\nEOF\nRUN <<RUNME\n#!/bin/sh\necho script\nRUNME\n');
  const [plain, script] = execs(def);
  assert.deepEqual(plain?.meta.args, ['/bin/sh', '-c', 'echo hi\necho there\n']);
  assert.deepEqual(script?.meta.args, ['/dev/pipes/RUNME']);
  assert.deepEqual(script?.mounts.map((m) => [m.dest, m.readonly, m.selector]), [['/', false, undefined], ['/dev/pipes', true, '/']]);
  const mkfile = def.vertices.flatMap((v) => (v.op.type === 'file' ? v.op.actions : [])).find((a) => a.kind === 'mkfile');
  assert.deepEqual(mkfile && { path: mkfile.path, mode: mkfile.mode, data: mkfile.data }, { path: '/RUNME', mode: 0o755, data: '#!/bin/sh\necho script\n' });
  assert.deepEqual(names(def).slice(1), ['[2/3] RUN <<EOF (echo hi...)', '[3/3] RUN <<RUNME (#!/bin/sh...)']);
  assert.equal(createdBy(conversion)[1], 'RUN /dev/pipes/RUNME # buildkit');
});
