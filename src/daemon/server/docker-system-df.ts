// `GET /system/df` (docker system df, engine-api.md §3.17): what images, containers, volumes
// and the build cache take, in dockerd's shapes. Image sizes are the store's blob sizes (see
// docker-image-json.ts); a container is its `docker ps` entry with its writable layer's usage; the build cache's
// entries are the ones `docker builder prune` would consider (build/cache-inventory.ts).
import { diskUsage } from '../build/disk-usage.js';
import { takeInventory } from '../build/cache-inventory.js';
import type { CacheEntry } from '../build/prune-select.js';
import { listContainers } from '../containers/list.js';
import type { ContainerRecord } from '../containers/record.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';
import { listImages, type LocalImage } from '../images/local.js';
import { inspectView, volumeUsers } from '../volumes/commands.js';
import { VolumeStore } from '../volumes/store.js';
import { dockerContainerSummary } from './docker-container-json.js';
import { imageSize, imageSummary } from './docker-image-json.js';
import { sendJson, type Router } from './http.js';

function layerSizes(image: LocalImage): Map<string, number> {
  return new Map(image.manifest.layers.map((layer) => [layer.digest, layer.size]));
}

/** The image list with usage: containers per image, and bytes of layers other images share. */
function imagesUsage(images: LocalImage[], containers: ContainerRecord[]): { entries: Record<string, unknown>[]; layersSize: number } {
  const users = new Map<string, number>();
  for (const container of containers) users.set(container.imageId, (users.get(container.imageId) ?? 0) + 1);
  const layerImages = new Map<string, number>();
  const allLayers = new Map<string, number>();
  for (const image of images) {
    for (const [digest, size] of layerSizes(image)) {
      layerImages.set(digest, (layerImages.get(digest) ?? 0) + 1);
      allLayers.set(digest, size);
    }
  }
  const entries = images.map((image) => {
    let sharedSize = 0;
    for (const [digest, size] of layerSizes(image)) if ((layerImages.get(digest) ?? 0) > 1) sharedSize += size;
    return imageSummary(image, { containers: users.get(image.id) ?? 0, sharedSize });
  });
  const configs = images.reduce((sum, image) => sum + image.configDesc.size, 0);
  return { entries, layersSize: [...allLayers.values()].reduce((sum, size) => sum + size, configs) };
}

async function writableLayerSize(engine: ImageEngine, record: ContainerRecord): Promise<number> {
  try {
    return await diskUsage((await engineSnapshotter(engine).contentDir(record.id)).dir);
  } catch {
    // A container whose snapshot is gone (removed while listed, or never made) takes nothing.
    return 0;
  }
}

async function containersUsage(engine: ImageEngine, containers: ContainerRecord[], images: LocalImage[]): Promise<Record<string, unknown>[]> {
  const sizes = new Map(images.map((image) => [image.id as string, imageSize(image)]));
  const now = Date.now();
  return Promise.all(containers.map(async (record) => {
    const sizeRw = await writableLayerSize(engine, record);
    return { ...await dockerContainerSummary(engine.root, record, now), SizeRw: sizeRw, SizeRootFs: sizeRw + (sizes.get(record.imageId) ?? 0) };
  }));
}

async function volumesUsage(root: string): Promise<Record<string, unknown>[]> {
  const store = new VolumeStore(root);
  const users = await volumeUsers(root);
  return Promise.all((await store.list()).map(async (volume) => ({
    ...inspectView(store, volume),
    UsageData: { Size: await diskUsage(store.dataDir(volume.name)), RefCount: users.get(volume.name)?.length ?? 0 },
  })));
}

const descriptions: Record<CacheEntry['type'], string> = {
  regular: 'build step result',
  'exec.cachemount': 'cache mount (RUN --mount=type=cache)',
  'source.local': 'build context file hashes',
};

function buildCacheEntry(entry: CacheEntry): Record<string, unknown> {
  const used = new Date(entry.lastUsedAt).toISOString();
  return {
    ID: entry.id, Parent: entry.parent ?? '', Type: entry.type, Description: descriptions[entry.type],
    InUse: false, Shared: entry.shared, Size: entry.size,
    // kiln keeps when an entry was last used, not when it was made.
    CreatedAt: used, LastUsedAt: used, UsageCount: Math.max(1, entry.records.length),
  };
}

export function dockerDiskUsageRoutes(router: Router, engine: ImageEngine): void {
  router.on('GET', /^\/system\/df$/, async (_ctx, res) => {
    const [images, containers, volumes, inventory] = await Promise.all([
      listImages(engine), listContainers(engine), volumesUsage(engine.root), takeInventory(engine),
    ]);
    const { entries, layersSize } = imagesUsage(images, containers);
    const buildCache = inventory.entries.map(buildCacheEntry);
    sendJson(res, 200, {
      LayersSize: layersSize,
      Images: entries,
      Containers: await containersUsage(engine, containers, images),
      Volumes: volumes,
      BuildCache: buildCache,
      BuilderSize: inventory.entries.reduce((sum, entry) => sum + entry.size, 0),
    });
  });
}
