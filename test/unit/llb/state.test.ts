// The builder: States carry env/cwd/user to the exec ops that record them, file chains number
// their intermediate results after the inputs, and marshal emits each vertex once, inputs first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultPathEnv, fileActions, image, local, marshal, merge, scratch, vertexDigest,
  type ExecOp, type FileOp, type Op, type SourceOp, type Vertex,
} from '../../../src/llb/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

function opOf<T extends Op['type']>(vertex: Vertex | undefined, type: T): Extract<Op, { type: T }> {
  assert.ok(vertex, 'missing vertex');
  assert.equal(vertex.op.type, type);
  return vertex.op as Extract<Op, { type: T }>;
}

describe('a Dockerfile: FROM busybox / WORKDIR /app / COPY . . / RUN make', () => {
  const base = image('busybox');
  const workdir = base.withDir('/app').file(fileActions().mkdir('/app', 0o755, { makeParents: true }));
  const context = local('context', { followPaths: ['.'] });
  const copied = workdir.file(fileActions().copy(context, '.', './', { allowWildcard: true, followSymlinks: true, createDestPath: true }));
  const built = copied.run({ args: ['/bin/sh', '-c', 'make'] }).root();
  const def = marshal(built);
  const [busybox, mkdir, ctx, copy, run] = def.vertices;
  const digest = (v: Vertex | undefined): string => vertexDigest(v!);

  it('emits five vertices, each after its inputs', () => {
    assert.equal(def.vertices.length, 5);
    assert.deepEqual(opOf(busybox, 'source'), { type: 'source', identifier: 'docker-image://docker.io/library/busybox:latest', attrs: {} });
    assert.deepEqual(opOf(ctx, 'source'), { type: 'source', identifier: 'local://context', attrs: { 'local.followpaths': '["."]' } });
    assert.deepEqual(mkdir!.inputs, [{ digest: digest(busybox), index: 0 }]);
    assert.deepEqual(copy!.inputs, [{ digest: digest(mkdir), index: 0 }, { digest: digest(ctx), index: 0 }]);
    assert.deepEqual(run!.inputs, [{ digest: digest(copy), index: 0 }]);
    assert.deepEqual(def.head, { digest: digest(run), index: 0 });
  });

  it('resolves WORKDIR-relative paths in the file ops', () => {
    assert.deepEqual(opOf(mkdir, 'file').actions, [
      { kind: 'mkdir', path: '/app', mode: 0o755, makeParents: true, input: 0, secondaryInput: null, output: 0 },
    ]);
    const [action] = opOf(copy, 'file').actions;
    assert.equal(action?.kind, 'copy');
    assert.deepEqual(
      { src: action.src, dest: action.dest, input: action.input, secondaryInput: action.secondaryInput, output: action.output },
      { src: '/', dest: '/app/', input: 0, secondaryInput: 1, output: 0 },
    );
    assert.equal(action.allowWildcard, true);
    assert.equal(action.dirContentsOnly, false);
  });

  it('records the working directory and a default PATH in the exec op', () => {
    const exec: ExecOp = opOf(run, 'exec');
    assert.deepEqual(exec.meta, { args: ['/bin/sh', '-c', 'make'], env: [`PATH=${defaultPathEnv}`], cwd: '/app', user: '', network: 'sandbox' });
    assert.deepEqual(exec.mounts, [{ input: 0, dest: '/', output: 0, readonly: false, kind: 'bind' }]);
  });
});

describe('marshal', () => {
  it('deduplicates equal subgraphs built separately', () => {
    const left = image('busybox').run({ args: ['true'] }).root();
    const right = image('docker.io/library/busybox:latest').file(fileActions().mkfile('/f', 0o644, 'x'));
    const def = marshal(merge([left, right]));
    assert.equal(def.vertices.filter((v) => v.op.type === 'source').length, 1);
    assert.deepEqual(def.vertices.map((v) => v.op.type), ['source', 'exec', 'file', 'merge']);
  });

  it('gives scratch no vertex and a null head', () => {
    assert.deepEqual(marshal(scratch()), { vertices: [], metadata: {}, head: null });
  });

  it('keeps the first description of a vertex described twice', () => {
    const named = image('busybox').withMetadata({ customName: 'first' });
    const again = image('busybox').withMetadata({ customName: 'second', ignoreCache: true });
    const def = marshal(merge([named, again.run({ args: ['true'] }).root()]));
    const source = vertexDigest(def.vertices[0]!);
    assert.deepEqual(def.metadata[source], { description: { 'llb.customname': 'first' }, ignoreCache: true });
  });
});

describe('State values', () => {
  it('travel to exec ops only, with run-time overrides', () => {
    const state = image('busybox').withEnv('A', '1').withEnv('PATH', '/bin').withEnv('A', '2').withUser('nobody').withDir('src').withDir('../lib');
    assert.deepEqual(state.env, ['A=2', 'PATH=/bin']);
    assert.equal(state.cwd, '/lib');
    assert.equal(marshal(state).vertices.length, 1, 'env, dir and user add no vertex');
    const exec = opOf(marshal(state.run({ args: ['env'], env: { B: '3' }, user: 'root' }).root()).vertices[1], 'exec');
    assert.deepEqual(exec.meta, { args: ['env'], env: ['A=2', 'PATH=/bin', 'B=3'], cwd: '/lib', user: 'root', network: 'sandbox' });
  });

  it('records the image platform on the vertices built from it', () => {
    const platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    const def = marshal(image('alpine:3.20', { platform }).run({ args: ['true'] }).root());
    assert.deepEqual(def.vertices.map((v) => v.platform), [platform, platform]);
  });

  it('refuses a bad image reference and a bad local name', () => {
    assert.equal(kilnErrorOf(() => image('Busybox')).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => local('../up')).code, 'INVALID_ARGUMENT');
  });
});

describe('exec mounts', () => {
  const base = image('busybox');
  const context = local('context');
  const exec = base.withDir('/w').run({
    args: ['make'],
    network: 'none',
    mounts: [
      { dest: 'src', from: context, selector: '/app', readonly: true },
      { kind: 'cache', dest: '/root/.cache', id: 'go', sharing: 'locked' },
      { kind: 'tmpfs', dest: '/tmp', size: 1 << 20 },
      { kind: 'secret', dest: '/run/secrets/token', id: 'token' },
      { kind: 'ssh', dest: '/run/ssh' },
      { dest: 'out' },
      { dest: '/base', from: base },
    ],
  });
  const def = marshal(exec.root());
  const op = opOf(def.vertices.at(-1), 'exec');

  it('gives each kind its options and each writable bind mount an output', () => {
    assert.deepEqual(op.mounts, [
      { input: 0, dest: '/', output: 0, readonly: false, kind: 'bind' },
      { input: 1, selector: '/app', dest: '/w/src', output: null, readonly: true, kind: 'bind' },
      { input: null, dest: '/root/.cache', output: null, readonly: false, kind: 'cache', cache: { id: 'go', sharing: 'locked' } },
      { input: null, dest: '/tmp', output: null, readonly: false, kind: 'tmpfs', tmpfs: { size: 1 << 20 } },
      { input: null, dest: '/run/secrets/token', output: null, readonly: true, kind: 'secret', secret: { id: 'token', uid: 0, gid: 0, mode: 0o400, optional: false } },
      { input: null, dest: '/run/ssh', output: null, readonly: true, kind: 'ssh', ssh: { id: 'default', uid: 0, gid: 0, mode: 0o600, optional: false } },
      { input: null, dest: '/w/out', output: 1, readonly: false, kind: 'bind' },
      { input: 0, dest: '/base', output: 2, readonly: false, kind: 'bind' },
    ]);
    assert.equal(op.meta.network, 'none');
    assert.equal(def.vertices.at(-1)!.inputs.length, 2, 'the base image mounted twice is one input');
  });

  it('exposes mount outputs by destination', () => {
    const out = marshal(exec.mountOutput('out'));
    assert.deepEqual(out.head, { digest: def.head!.digest, index: 1 });
    assert.equal(kilnErrorOf(() => exec.mountOutput('/run/ssh')).code, 'NOT_FOUND');
  });

  it('refuses two mounts at one place and a run without a command', () => {
    assert.equal(kilnErrorOf(() => base.run({ args: ['x'], mounts: [{ dest: '/a' }, { kind: 'tmpfs', dest: '/a/' }] })).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => base.run({ args: [] })).code, 'INVALID_ARGUMENT');
  });
});

describe('file chains', () => {
  it('number intermediate results after the inputs', () => {
    const context = local('context');
    const other = image('alpine');
    const chain = fileActions()
      .mkdir('/out', 0o755, { makeParents: true, owner: { user: 1000, group: 'staff' } })
      .copy(context, 'a.txt', '/out/', { mode: 0o600, timestamp: 0 })
      .copy(other, '/etc/os-release', 'os-release')
      .rm('/out/tmp', { allowNotFound: true })
      .symlink('a.txt', '/out/link');
    const def = marshal(image('busybox').withDir('/out').file(chain));
    const file: FileOp = opOf(def.vertices.at(-1), 'file');
    assert.equal(def.vertices.at(-1)!.inputs.length, 3);
    const io = file.actions.map((a) => [a.kind, a.input, a.secondaryInput, a.output]);
    assert.deepEqual(io, [
      ['mkdir', 0, null, null],
      ['copy', 3, 1, null],
      ['copy', 4, 2, null],
      ['rm', 5, null, null],
      ['symlink', 6, null, 0],
    ]);
    const copy = file.actions[2];
    assert.equal(copy?.kind, 'copy');
    assert.equal(copy.dest, '/out/os-release');
    const symlink = file.actions[4];
    assert.deepEqual(symlink?.kind === 'symlink' && [symlink.oldpath, symlink.newpath], ['a.txt', '/out/link']);
  });

  it('start from no input on scratch and refuse an empty chain', () => {
    const def = marshal(scratch().file(fileActions().mkfile('/hello', 0o644, 'hi\n')));
    assert.deepEqual(def.vertices[0]!.inputs, []);
    assert.equal(opOf(def.vertices[0], 'file').actions[0]!.input, null);
    assert.equal(kilnErrorOf(() => scratch().file(fileActions())).code, 'INVALID_ARGUMENT');
  });
});

describe('merge', () => {
  it('drops scratch inputs and returns a lone input unchanged', () => {
    const base = image('busybox');
    assert.deepEqual(marshal(merge([scratch(), base])), marshal(base));
    assert.equal(marshal(merge([])).head, null);
  });

  it('layers inputs in order, keeping the first State values', () => {
    const base = image('busybox').withDir('/app');
    const layer = scratch().file(fileActions().mkfile('/app/x', 0o644, 'x'));
    const merged = merge([base, layer]);
    const def = marshal(merged);
    const top = def.vertices.at(-1)!;
    const source: SourceOp = opOf(def.vertices[0], 'source');
    assert.equal(source.identifier, 'docker-image://docker.io/library/busybox:latest');
    assert.equal(top.op.type, 'merge');
    assert.deepEqual(top.inputs.map((i) => i.digest), [vertexDigest(def.vertices[0]!), vertexDigest(def.vertices[1]!)]);
    assert.equal(merged.cwd, '/app');
  });
});
