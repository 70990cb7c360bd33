// `kiln build --output` / `--push` parsing, form by form, and the errors naming the flag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvFields, parseOutput, parseOutputs } from '../../../../src/cli/commands/build/outputs.js';
import { KilnError } from '../../../../src/util/errors.js';

const cwd = '/work/ctx';

function refused(fn: () => unknown, code: string, pattern: RegExp, flag = '--output'): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.equal(err.details.flag, flag);
    return true;
  });
}

describe('--output parsing', () => {
  it('reads CSV fields with quotes as Go does', () => {
    assert.deepEqual(csvFields('type=image,"name=a,b",push=true'), ['type=image', 'name=a,b', 'push=true']);
    assert.deepEqual(csvFields('"dest=a""b"'), ['dest=a"b']);
  });

  it('takes type=image with names and push', () => {
    assert.deepEqual(parseOutput('type=image,name=a,b', cwd), { type: 'image', names: ['a', 'b'], push: false });
    assert.deepEqual(parseOutput('type=image,"name=a,b",push=true', cwd), { type: 'image', names: ['a', 'b'], push: true });
    assert.deepEqual(parseOutput('type=image', cwd), { type: 'image', names: [], push: false });
  });

  it('takes type=registry as an image output that pushes', () => {
    assert.deepEqual(parseOutput('type=registry,name=localhost:5000/app:1', cwd), { type: 'image', names: ['localhost:5000/app:1'], push: true });
  });

  it('takes oci (a tar unless tar=false) and docker, dest made absolute', () => {
    assert.deepEqual(parseOutput('type=oci,dest=out.tar', cwd), { type: 'oci', dest: '/work/ctx/out.tar', tar: true, names: [] });
    assert.deepEqual(parseOutput('type=oci,dest=/tmp/layout,tar=false,name=app', cwd), { type: 'oci', dest: '/tmp/layout', tar: false, names: ['app'] });
    assert.deepEqual(parseOutput('type=docker,dest=img.tar,name=app:2', cwd), { type: 'docker', dest: '/work/ctx/img.tar', names: ['app:2'] });
  });

  it('loads a docker output without dest into the store, as buildx loads it into docker', () => {
    assert.deepEqual(parseOutput('type=docker,name=app', cwd), { type: 'image', names: ['app'], push: false });
  });

  it('takes tar and local, and a bare path as a local directory', () => {
    assert.deepEqual(parseOutput('type=tar,dest=fs.tar', cwd), { type: 'tar', dest: '/work/ctx/fs.tar' });
    assert.deepEqual(parseOutput('type=local,dest=out', cwd), { type: 'local', dest: '/work/ctx/out' });
    assert.deepEqual(parseOutput('out/dir', cwd), { type: 'local', dest: '/work/ctx/out/dir' });
  });

  it('refuses what it cannot do, naming the flag', () => {
    refused(() => parseOutput('-', cwd), 'NOT_IMPLEMENTED', /dest=- \(writing to stdout\) is not supported/);
    refused(() => parseOutput('type=tar,dest=-', cwd), 'NOT_IMPLEMENTED', /stdout/);
    refused(() => parseOutput('dest=out', cwd), 'INVALID_ARGUMENT', /^--output: type is required/);
    refused(() => parseOutput('type=zip,dest=x', cwd), 'INVALID_ARGUMENT', /unknown output type "zip"/);
    refused(() => parseOutput('type=local', cwd), 'INVALID_ARGUMENT', /dest is required for type=local/);
    refused(() => parseOutput('type=oci', cwd), 'INVALID_ARGUMENT', /dest is required for type=oci/);
    refused(() => parseOutput('type=image,compression=zstd', cwd), 'NOT_IMPLEMENTED', /type=image does not support compression/);
    refused(() => parseOutput('type=image,push=maybe', cwd), 'INVALID_ARGUMENT', /invalid value "maybe" for push/);
    refused(() => parseOutput('type=image,=x', cwd), 'INVALID_ARGUMENT', /invalid value "=x"/);
    refused(() => parseOutput('type=image,"name=a', cwd), 'INVALID_ARGUMENT', /unterminated quote/);
    refused(() => parseOutput('', cwd), 'INVALID_ARGUMENT', /empty value/);
  });
});

describe('--output with --push', () => {
  it('defaults to none, and --push alone is an image output that pushes', () => {
    assert.equal(parseOutputs([], false, cwd), undefined);
    assert.deepEqual(parseOutputs([], true, cwd), [{ type: 'image', names: [], push: true }]);
  });

  it('adds push=true to an image output', () => {
    assert.deepEqual(parseOutputs(['type=image,name=app'], true, cwd), [{ type: 'image', names: ['app'], push: true }]);
  });

  it('refuses --push with a file output, and more than one output', () => {
    refused(() => parseOutputs(['type=oci,dest=x.tar'], true, cwd), 'INVALID_ARGUMENT', /push and "oci" output can't be used together/, '--push');
    refused(() => parseOutputs(['type=image', 'type=tar,dest=x'], false, cwd), 'INVALID_ARGUMENT', /multiple outputs currently unsupported/);
  });
});
