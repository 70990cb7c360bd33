// Dockerfile -> LLB for RUN --mount: secrets (file and env), ssh agents, binds from stages and
// images, writable binds, caches seeded from a stage with uid/gid/mode, and located errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { convertDockerfile, planBuild } from '../../../src/dockerfile/index.js';
import { vertexDigest, type ExecOp } from '../../../src/llb/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { amd64, busyboxConfig, convert, execs, pinned } from './convert-helpers.js';

async function lastExec(text: string): Promise<{ exec: ExecOp; def: Awaited<ReturnType<typeof convert>>['def'] }> {
  const { def } = await convert(text);
  const exec = execs(def).at(-1);
  assert.ok(exec !== undefined);
  return { exec, def };
}

test('secret mounts: default target /run/secrets/<id>, mode 0400, optional unless required', async () => {
  const { exec } = await lastExec('FROM busybox\nRUN --mount=type=secret,id=npmrc --mount=type=secret,id=tok,target=/etc/tok,required,uid=10,gid=20,mode=0440 cat /run/secrets/npmrc\n');
  assert.deepEqual(exec.mounts.slice(1).map((m) => [m.kind, m.dest, m.input, m.output, m.secret]), [
    ['secret', '/run/secrets/npmrc', null, null, { id: 'npmrc', uid: 0, gid: 0, mode: 0o400, optional: true }],
    ['secret', '/etc/tok', null, null, { id: 'tok', uid: 10, gid: 20, mode: 0o440, optional: false }],
  ]);
});

test('a secret without id takes the target\'s base name; env= makes it a variable only', async () => {
  const { exec } = await lastExec('FROM busybox\nRUN --mount=type=secret,target=/root/.netrc --mount=type=secret,id=token,env=TOKEN,required true\n');
  assert.deepEqual(exec.mounts.slice(1).map((m) => [m.dest, m.secret?.id]), [['/root/.netrc', '.netrc']]);
  assert.deepEqual(exec.meta.secretEnv, [{ id: 'token', name: 'TOKEN', optional: false }]);
  // The value is never part of the op: only the variable's name and the id.
  assert.equal(exec.meta.env.some((e) => e.startsWith('TOKEN=')), false);
});

test('a secret with env= and a target is both a file and a variable', async () => {
  const { exec } = await lastExec('FROM busybox\nRUN --mount=type=secret,id=t,env=T,target=/t true\n');
  assert.deepEqual(exec.meta.secretEnv, [{ id: 't', name: 'T', optional: true }]);
  assert.deepEqual(exec.mounts.slice(1).map((m) => m.dest), ['/t']);
});

test('ssh mounts: id default, /run/buildkit/ssh_agent.N, SSH_AUTH_SOCK names the first default target', async () => {
  const { exec } = await lastExec('FROM busybox\nRUN --mount=type=ssh --mount=type=ssh,id=work,required --mount=type=ssh,id=x,target=/agent ssh-add -l\n');
  assert.deepEqual(exec.mounts.slice(1).map((m) => [m.kind, m.dest, m.ssh]), [
    ['ssh', '/run/buildkit/ssh_agent.0', { id: 'default', uid: 0, gid: 0, mode: 0o600, optional: true }],
    ['ssh', '/run/buildkit/ssh_agent.1', { id: 'work', uid: 0, gid: 0, mode: 0o600, optional: false }],
    ['ssh', '/agent', { id: 'x', uid: 0, gid: 0, mode: 0o600, optional: true }],
  ]);
  assert.ok(exec.meta.env.includes('SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0'));
});

test('bind from= a stage or an image reads that State at source=; rw binds keep no output', async () => {
  const { exec, def } = await lastExec(`FROM busybox AS tools
RUN echo hi > /tool
FROM busybox
RUN --mount=type=bind,from=tools,source=/tool,target=/t --mount=type=bind,from=alpine,target=/a --mount=type=bind,target=/ctx,rw cat /t
`);
  const vertex = def.vertices.find((v) => v.op === exec);
  assert.ok(vertex !== undefined);
  const [, tools, alpine, ctx] = exec.mounts;
  assert.deepEqual([tools?.dest, tools?.selector, tools?.readonly, tools?.output], ['/t', '/tool', true, null]);
  assert.deepEqual([alpine?.dest, alpine?.readonly], ['/a', true]);
  assert.deepEqual([ctx?.dest, ctx?.readonly, ctx?.output], ['/ctx', false, null]);
  const inputOp = (index: number | null | undefined) => {
    const input = index === null || index === undefined ? undefined : vertex.inputs[index];
    return def.vertices.find((v) => vertexDigest(v) === input?.digest)?.op;
  };
  assert.equal(inputOp(tools?.input)?.type, 'exec');
  const image = inputOp(alpine?.input);
  assert.ok(image?.type === 'source' && image.identifier.includes('alpine'));
  const context = inputOp(ctx?.input);
  assert.ok(context?.type === 'source' && context.identifier === 'local://context');
});

test('cache from= a stage seeds from source=; uid, gid and mode are the cache\'s', async () => {
  const { exec } = await lastExec(`FROM busybox AS deps
RUN mkdir /deps
FROM busybox
RUN --mount=type=cache,target=/c,from=deps,source=/deps,uid=1000,gid=1000,mode=0700,sharing=locked ls /c
`);
  const cache = exec.mounts[1];
  assert.deepEqual([cache?.kind, cache?.selector, cache?.cache], ['cache', '/deps', { id: '/c', sharing: 'locked', uid: 1000, gid: 1000, mode: 0o700 }]);
  assert.notEqual(cache?.input, null);
});

test('invalid secret and ssh mounts fail at their Dockerfile location', async () => {
  const failure = async (text: string) => {
    const err = await kilnRejection((async () => {
      const plan = planBuild(parseDockerfile(text, { file: 'Dockerfile' }), { buildPlatform: amd64, env: {} });
      return convertDockerfile(plan, { resolveImage: async (ref) => ({ ref: pinned(ref), config: busyboxConfig() }) });
    })());
    return { message: err.message, line: err.details.source?.range.start.line };
  };
  const ssh = await failure('FROM busybox\nRUN --mount=type=ssh,source=/x true\n');
  assert.match(ssh.message, /ssh mounts do not support source/);
  assert.equal(ssh.line, 2);
  const secret = await failure('FROM busybox\n\nRUN --mount=type=secret,id=a,src=b true\n');
  assert.match(secret.message, /both source and id/);
  assert.equal(secret.line, 3);
});
