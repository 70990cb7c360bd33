// The daemon's side of build outputs: the request's outputs checked, the plan made of them and
// the tags before anything is built, and SOURCE_DATE_EPOCH read from the build arguments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBuildOutputs } from '../../../src/daemon/build/index.js';
import { sourceDateEpochOf } from '../../../src/daemon/build/epoch.js';
import { planOutput } from '../../../src/daemon/build/outputs.js';
import { KilnError } from '../../../src/util/errors.js';

function invalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof KilnError && err.code === 'INVALID_ARGUMENT' && pattern.test(err.message));
}

describe('build request outputs', () => {
  it('accepts each type', () => {
    const outputs = [
      { type: 'image', names: ['a'], push: true },
      { type: 'oci', dest: '/o.tar', tar: true, names: [] },
      { type: 'docker', dest: '/d.tar', names: ['b'] },
      { type: 'tar', dest: '/fs.tar' },
      { type: 'local', dest: '/out' },
    ];
    assert.deepEqual(parseBuildOutputs(outputs), outputs);
    assert.equal(parseBuildOutputs(undefined), undefined);
  });

  it('refuses a bad shape', () => {
    invalid(() => parseBuildOutputs({}), /outputs must be a list/);
    invalid(() => parseBuildOutputs([{ type: 'zip' }]), /type "zip" is not one of/);
    invalid(() => parseBuildOutputs([{ type: 'tar', dest: 'rel.tar' }]), /dest must be an absolute path/);
    invalid(() => parseBuildOutputs([{ type: 'image', names: [1], push: false }]), /names must be a list/);
    invalid(() => parseBuildOutputs([{ type: 'oci', dest: '/x', names: [] }]), /tar must be a boolean/);
  });
});

describe('output plan', () => {
  const tags = ['docker.io/library/app:1'];

  it('keeps the image in the store by default, under the tags', () => {
    const plan = planOutput(tags, undefined);
    assert.deepEqual([plan.output.type, plan.storeNames, plan.imageNames], ['image', tags, tags]);
  });

  it('adds an image output\'s names, normalized', () => {
    const plan = planOutput(tags, [{ type: 'image', names: ['localhost:5000/app'], push: true }]);
    assert.deepEqual(plan.storeNames, [...tags, 'localhost:5000/app:latest']);
  });

  it('names archives by their names or the tags, and stores only the tags', () => {
    const plan = planOutput([], [{ type: 'docker', dest: '/d.tar', names: ['app:2'] }]);
    assert.deepEqual([plan.storeNames, plan.imageNames], [[], ['docker.io/library/app:2']]);
  });

  it('needs a name to push, and one output at most', () => {
    invalid(() => planOutput([], [{ type: 'image', names: [], push: true }]), /^tag is needed when pushing to registry$/);
    invalid(() => planOutput(tags, [{ type: 'tar', dest: '/a' }, { type: 'local', dest: '/b' }]), /multiple outputs/);
    invalid(() => planOutput([], [{ type: 'image', names: [`app@sha256:${'a'.repeat(64)}`], push: false }]), /cannot carry a digest/);
  });
});

describe('SOURCE_DATE_EPOCH', () => {
  it('reads whole seconds, and nothing when absent or empty', () => {
    assert.equal(sourceDateEpochOf({ SOURCE_DATE_EPOCH: '1700000000' })?.toISOString(), '2023-11-14T22:13:20.000Z');
    assert.equal(sourceDateEpochOf({ SOURCE_DATE_EPOCH: '' }), undefined);
    assert.equal(sourceDateEpochOf({}), undefined);
    assert.equal(sourceDateEpochOf(undefined), undefined);
  });

  it('refuses anything else', () => {
    invalid(() => sourceDateEpochOf({ SOURCE_DATE_EPOCH: '-5' }), /invalid SOURCE_DATE_EPOCH "-5"/);
    invalid(() => sourceDateEpochOf({ SOURCE_DATE_EPOCH: '1.5' }), /whole seconds/);
  });
});
