// `--metadata-file` as buildx writes it: the exporter's response keys for an image, nothing for
// a filesystem output; `--iidfile` holds the image ID without a newline.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildMetadata, writeResultFiles } from '../../../../src/cli/commands/build/metadata.js';
import { KilnError } from '../../../../src/util/errors.js';
import { tempDir } from '../../../helpers/tmp.js';

const id = `sha256:${'1'.repeat(64)}`;
const manifest = `sha256:${'2'.repeat(64)}`;
const result = {
  id, manifest, names: ['docker.io/library/app:1', 'docker.io/library/app:latest'],
  descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifest, size: 481 },
};

describe('build metadata', () => {
  it('describes the image: manifest and config digests, descriptor, comma-joined names', () => {
    assert.deepEqual(buildMetadata(result, undefined), {
      'containerimage.config.digest': id,
      'containerimage.descriptor': result.descriptor,
      'containerimage.digest': manifest,
      'image.name': 'docker.io/library/app:1,docker.io/library/app:latest',
    });
    assert.equal(buildMetadata({ ...result, names: [] }, [{ type: 'oci', dest: '/x', tar: true, names: [] }])['image.name'], undefined);
  });

  it('has nothing to say about a filesystem output', () => {
    assert.deepEqual(buildMetadata(result, [{ type: 'local', dest: '/out' }]), {});
    assert.deepEqual(buildMetadata(result, [{ type: 'tar', dest: '/out.tar' }]), {});
  });

  it('writes the iidfile and the metadata file', async () => {
    const dir = await tempDir('build-metadata');
    await writeResultFiles({ iidfile: join(dir, 'iid'), metadataFile: join(dir, 'meta.json') }, result, undefined);
    assert.equal(await readFile(join(dir, 'iid'), 'utf8'), id);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')), buildMetadata(result, undefined));
  });

  it('names the flag when a file cannot be written', async () => {
    const dir = await tempDir('build-metadata');
    await assert.rejects(writeResultFiles({ iidfile: join(dir, 'missing', 'iid') }, result, undefined), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.match(err.message, /^--iidfile: cannot write/);
      return true;
    });
  });
});
