// Dockerfile -> LLB, the filesystem side: WORKDIR creation, USER, COPY/ADD actions and the
// context's followPaths, multi-stage builds with COPY --from, and the located errors for
// what the conversion does not support yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { convertDockerfile, planBuild } from '../../../src/dockerfile/index.js';
import { vertexDigest, type SourceOp } from '../../../src/llb/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { amd64, busyboxConfig, convert, copies, createdBy, execs, fileActionsOf, names, pinned } from './convert-helpers.js';

test('WORKDIR makes the directory (owned by USER) and sets cwd; USER sets the run user', async () => {
  const { conversion, def } = await convert(`FROM busybox
WORKDIR /app
USER 1000:1000
WORKDIR sub
RUN pwd
WORKDIR /
`);
  assert.deepEqual(fileActionsOf(def), [
    [{ kind: 'mkdir', path: '/app', mode: 0o755, makeParents: true, input: 0, secondaryInput: null, output: 0 }],
    [{ kind: 'mkdir', path: '/app/sub', mode: 0o755, makeParents: true, owner: { user: 1000, group: 1000 }, input: 0, secondaryInput: null, output: 0 }],
  ]);
  const [run] = execs(def);
  assert.equal(run?.meta.cwd, '/app/sub');
  assert.equal(run?.meta.user, '1000:1000');
  assert.equal(conversion.config.config?.WorkingDir, '/');
  assert.deepEqual(createdBy(conversion), [
    'WORKDIR /app', 'USER 1000:1000 (empty)', 'WORKDIR /app/sub', 'RUN /bin/sh -c pwd # buildkit', 'WORKDIR / (empty)',
  ]);
  assert.deepEqual(names(def), [`[1/5] FROM ${pinned('busybox')}`, '[2/5] WORKDIR /app', '[3/5] WORKDIR sub', '[4/5] RUN pwd']);
});

test('the base image WorkingDir and User carry into the stage without a mkdir', async () => {
  const { def, conversion } = await convert('FROM busybox\nRUN id\n', { config: { WorkingDir: '/home/app', User: 'nobody' } });
  assert.deepEqual(fileActionsOf(def), []);
  assert.equal(execs(def)[0]?.meta.cwd, '/home/app');
  assert.equal(execs(def)[0]?.meta.user, 'nobody');
  assert.equal(conversion.config.config?.User, 'nobody');
});

test('COPY: --chown names, --chmod, wildcards, directory contents, dest from WORKDIR, followPaths', async () => {
  const { conversion, def } = await convert(`FROM busybox
WORKDIR /app
COPY --chown=app:staff --chmod=0640 *.txt conf/ ./
COPY src /src
COPY <<EOF notes/
hello
EOF
`);
  const context = def.vertices.find((v) => v.op.type === 'source' && v.op.identifier === 'local://context');
  assert.deepEqual((context?.op as SourceOp).attrs, { 'local.followpaths': '["*.txt","conf","src"]', 'local.sharedkeyhint': 'context' });
  const flags = {
    followSymlinks: true, dirContentsOnly: true, attemptUnpack: false, createDestPath: true,
    allowWildcard: true, allowEmptyWildcard: true, includePatterns: [], excludePatterns: [],
  };
  const [txt, conf, src, heredoc] = copies(def);
  assert.deepEqual(txt, { kind: 'copy', src: '/*.txt', dest: '/app/', ...flags, owner: { user: 'app', group: 'staff' }, mode: 0o640, input: 0, secondaryInput: 1, output: null });
  assert.deepEqual(conf, { kind: 'copy', src: '/conf', dest: '/app/', ...flags, owner: { user: 'app', group: 'staff' }, mode: 0o640, input: 2, secondaryInput: 1, output: 0 });
  assert.deepEqual(src, { kind: 'copy', src: '/src', dest: '/src', ...flags, input: 0, secondaryInput: 1, output: 0 });
  assert.equal(heredoc?.src, '/EOF');
  assert.equal(heredoc?.dest, '/app/notes/');
  assert.equal(heredoc?.dirContentsOnly, false);
  const mkfile = fileActionsOf(def).flat().find((a) => a.kind === 'mkfile');
  assert.deepEqual(mkfile, { kind: 'mkfile', path: '/EOF', mode: 0o644, data: 'hello\n', input: null, secondaryInput: null, output: 0 });
  assert.deepEqual(createdBy(conversion), [
    'WORKDIR /app',
    'COPY --chown=app:staff --chmod=0640 *.txt conf/ ./ # buildkit',
    'COPY src /src # buildkit',
    'COPY <<EOF notes/ # buildkit',
  ]);
  assert.ok(names(def).includes('[3/5] COPY --chown=app:staff --chmod=0640 *.txt conf/ ./'));
});

test('COPY --link copies onto scratch and merges; --exclude and --parents fill the copy patterns', async () => {
  const { def } = await convert('FROM busybox\nCOPY --link --exclude=*.md --parents docs/./guide/*.html /site/\n');
  const merge = def.vertices.find((v) => v.op.type === 'merge');
  assert.ok(merge);
  assert.equal(merge.inputs.length, 2);
  const [copy] = copies(def);
  assert.equal(copy?.input, null, 'the linked copy starts from scratch');
  assert.equal(copy?.src, '/docs');
  assert.deepEqual(copy?.includePatterns, ['guide/*.html']);
  assert.deepEqual(copy?.excludePatterns, ['*.md']);
});

const multiStage = `FROM busybox AS build
WORKDIR /src
RUN make
FROM alpine AS unused
RUN never
FROM scratch
COPY --from=build /out /app
COPY --from=0 /etc/passwd /etc/passwd
COPY --from=debian /etc/os-release /etc/
`;

test('multi-stage: COPY --from a stage, an index and an image; unused stages are never converted', async () => {
  const { conversion, def, resolved } = await convert(multiStage);
  assert.deepEqual(resolved.sort(), ['busybox', 'debian']);
  assert.ok(execs(def).every((e) => !e.meta.args.some((a) => a.includes('never'))));
  const make = def.vertices.find((v) => v.op.type === 'exec');
  const mkdir = def.vertices.find((v) => v.op.type === 'file' && v.op.actions[0]?.kind === 'mkdir');
  assert.deepEqual(make?.inputs.map((i) => i.digest), [vertexDigest(mkdir!)]);
  const debian = def.vertices.find((v) => v.op.type === 'source' && v.op.identifier === `docker-image://${pinned('debian')}`);
  assert.ok(make && debian);
  // One file op per COPY, each on the previous one's result.
  const fileOps = def.vertices.filter((v) => v.op.type === 'file' && v.op.actions.some((a) => a.kind === 'copy'));
  assert.equal(fileOps.length, 3);
  const [first, second, third] = fileOps;
  assert.equal(vertexDigest(third!), def.head?.digest);
  assert.deepEqual(first?.inputs.map((i) => i.digest), [vertexDigest(make)]);
  assert.deepEqual(second?.inputs.map((i) => i.digest), [vertexDigest(first!), vertexDigest(make)]);
  assert.deepEqual(third?.inputs.map((i) => i.digest), [vertexDigest(second!), vertexDigest(debian)]);
  assert.deepEqual(copies(def).map((c) => [c.src, c.dest, c.input, c.secondaryInput]), [
    ['/out', '/app', null, 0],
    ['/etc/passwd', '/etc/passwd', 0, 1],
    ['/etc/os-release', '/etc/', 0, 1],
  ]);
  assert.deepEqual(names(def), [
    `[build 1/3] FROM ${pinned('busybox')}`,
    '[build 2/3] WORKDIR /src',
    '[build 3/3] RUN make',
    '[stage-2 1/3] COPY --from=build /out /app',
    '[stage-2 2/3] COPY --from=0 /etc/passwd /etc/passwd',
    `FROM ${pinned('debian')}`,
    '[stage-2 3/3] COPY --from=debian /etc/os-release /etc/',
  ]);
  assert.equal(conversion.baseImage, undefined);
  assert.deepEqual(conversion.config.config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
  assert.deepEqual(conversion.config.rootfs.diff_ids, []);
  assert.deepEqual(createdBy(conversion), [
    'COPY /out /app # buildkit', 'COPY /etc/passwd /etc/passwd # buildkit', 'COPY /etc/os-release /etc/ # buildkit',
  ]);
  assert.equal(conversion.steps, 3 + 3);
});

test('a stage built FROM another inherits its state, config and history', async () => {
  const { conversion, def } = await convert('FROM busybox AS base\nENV A=1\nRUN one\nFROM base\nRUN two\n');
  const [one, two] = execs(def);
  assert.deepEqual(two?.meta.env, one?.meta.env);
  assert.deepEqual(createdBy(conversion), ['ENV A=1 (empty)', 'RUN /bin/sh -c one # buildkit', 'RUN /bin/sh -c two # buildkit']);
  assert.equal(conversion.baseImage?.ref, pinned('busybox'));
  assert.ok(names(def).includes('[stage-1 1/1] RUN two'));
});

interface LocatedFailure {
  code: string;
  message: string;
  file: string | undefined;
  line: number | undefined;
  column: number | undefined;
}

async function conversionError(text: string): Promise<LocatedFailure> {
  const plan = planBuild(parseDockerfile(text, { file: 'app/Dockerfile' }), { buildPlatform: amd64, env: {} });
  const err = await kilnRejection(convertDockerfile(plan, { resolveImage: async (ref) => ({ ref: pinned(ref), config: busyboxConfig() }) }));
  const source = err.details.source;
  return { code: err.code, message: err.message, file: source?.file, line: source?.range.start.line, column: source?.range.start.column };
}

test('RUN --mount=type=cache, tmpfs and read-only binds of the context become exec mounts', async () => {
  const { def } = await convert('FROM busybox\nRUN --mount=type=cache,target=/root/.cache --mount=type=tmpfs,target=/scratch,size=1m --mount=type=bind,source=src,target=/src make\n');
  const exec = def.vertices.map((v) => v.op).find((op) => op.type === 'exec');
  assert.ok(exec?.type === 'exec');
  assert.deepEqual(exec.mounts.slice(1).map((m) => [m.kind, m.dest, m.readonly, m.selector, m.cache, m.tmpfs]), [
    ['cache', '/root/.cache', false, undefined, { id: '/root/.cache', sharing: 'shared' }, undefined],
    ['tmpfs', '/scratch', false, undefined, undefined, { size: 1048576 }],
    ['bind', '/src', true, 'src', undefined, undefined],
  ]);
});

test('ADD of a git repository and RUN flags not supported yet fail as not implemented at their Dockerfile location', async () => {
  const git = await conversionError('FROM busybox\nWORKDIR /x\nADD https://github.com/moby/buildkit.git /src/\n');
  assert.equal(git.code, 'NOT_IMPLEMENTED');
  assert.match(git.message, /ADD of a git repository is not supported yet: https:\/\/github\.com\/moby\/buildkit\.git/);
  assert.deepEqual([git.file, git.line, git.column], ['app/Dockerfile', 3, 5]);

  const host = await conversionError('FROM busybox\nRUN --network=host true\n');
  assert.equal(host.code, 'NOT_IMPLEMENTED');
  assert.equal(host.line, 2);
});

test('ADD of a URL copies the http source\'s one file, named from the URL path, checksum in its attrs', async () => {
  const sum = `sha256:${'c'.repeat(64)}`;
  const { def } = await convert(`FROM busybox\nADD --checksum=${sum} --chown=7:8 https://example.com/dl/tool.tar.gz?x=1 /opt/\nADD http://example.com/ /root/index\n`);
  const sources = def.vertices.flatMap((v) => (v.op.type === 'source' && v.op.identifier.startsWith('http') ? [v.op] : []));
  assert.deepEqual(sources.map((o) => [o.identifier, o.attrs]), [
    ['https://example.com/dl/tool.tar.gz?x=1', { 'http.checksum': sum, 'http.filename': 'tool.tar.gz' }],
    ['http://example.com/', { 'http.filename': '__unnamed__' }],
  ]);
  assert.deepEqual(copies(def).map((c) => [c.src, c.dest, c.attemptUnpack, c.owner]), [
    ['/tool.tar.gz', '/opt/', false, { user: 7, group: 8 }],
    ['/__unnamed__', '/root/index', false, undefined],
  ]);
  const bad = await conversionError('FROM busybox\nADD --checksum=sha256:xyz https://example.com/a /a\n');
  assert.deepEqual([bad.code, bad.line], ['INVALID_ARGUMENT', 2]);
  assert.match(bad.message, /invalid checksum digest format/);
});

test('ADD of a local file is a copy that extracts archives; --unpack=false copies them; a checksum needs a URL', async () => {
  const { def } = await convert('FROM busybox\nADD app.conf rootfs.tar.gz /etc/\nCOPY app.conf /etc/\n');
  assert.deepEqual(copies(def).map((c) => [c.src, c.attemptUnpack]), [['/app.conf', true], ['/rootfs.tar.gz', true], ['/app.conf', false]]);
  const kept = await convert('FROM busybox\nADD --unpack=false rootfs.tar.gz /\nCOPY --chmod=u+x,go-w run.sh /bin/\n');
  assert.equal(copies(kept.def)[0]?.attemptUnpack, false);
  assert.deepEqual([copies(kept.def)[1]?.modeStr, copies(kept.def)[1]?.mode], ['u+x,go-w', undefined], 'a symbolic --chmod applies per entry');
  const checksum = await conversionError('FROM busybox\nADD --checksum=sha256:abc app.conf /etc/\n');
  assert.equal(checksum.code, 'INVALID_ARGUMENT');
  assert.match(checksum.message, /checksum can't be specified for non-HTTP\(S\) sources/);
  assert.equal(checksum.line, 2);
});
