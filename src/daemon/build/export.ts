// The image of a solved build: the result snapshot's chain, bottom first, holds the base image's
// layers (one committed snapshot per layer, unpacked by the image source) and then one snapshot
// per step that wrote files; each of the latter is diffed into a layer, and the config and
// manifest are written around the base's layers and the new ones.
//
// A step's layer is made once: its descriptor is kept beside its committed snapshot, so a
// rebuild from the cache diffs and compresses nothing. The image's `created` is the time its
// newest layer was made (as BuildKit takes it from the history), so an unchanged rebuild gives
// the same image ID. With SOURCE_DATE_EPOCH the image, its history and every layer's newer
// mtimes take the epoch instead (BuildKit's rewrite-timestamp), so equal builds made at
// different times give the same digest; such layers are kept apart from the unclamped ones.
import type { ImageEngine } from '../images/engine.js';
import type { Conversion } from '../../dockerfile/index.js';
import {
  commitImage, keepLayer, readKeptLayer, writeSnapshotLayer, type CommittedImage, type ImageLayer, type KeptLayer,
} from '../../exporter/index.js';
import type { ImageManifest } from '../../image/index.js';
import { MediaTypes } from '../../image/index.js';
import { snapshotChain, type OverlaySnapshotter } from '../../snapshot/index.js';
import { KilnError } from '../../util/errors.js';
import { SharedWork } from '../../util/shared-work.js';

/**
 * Layers being made, by store, snapshot and epoch: builds exporting one step at once (the same
 * Dockerfile built twice) wait for one layer, so they record one `created` and give one image.
 * A layer is given up once every build waiting for it is (one made early, then not needed).
 */
const making = new SharedWork<KeptLayer>();

export function stepLayer(engine: ImageEngine, snapshotter: OverlaySnapshotter, key: string, signal: AbortSignal | undefined, epoch: Date | undefined): Promise<KeptLayer> {
  const name = `${engine.root}\0${key}\0${epoch?.getTime() ?? ''}`;
  return making.join(name, signal, (shared) => makeStepLayer(engine, snapshotter, key, epoch, shared));
}

/**
 * Layers made while the build runs, as the image's steps commit (ops/image-chain.ts); those
 * still being made when the build ends without exporting them are given up, before the
 * build's lease on the cache goes.
 */
export class EarlyLayers implements AsyncDisposable {
  private readonly scope = new AbortController();
  private readonly started: Promise<unknown>[] = [];

  constructor(private readonly engine: ImageEngine, private readonly snapshotter: OverlaySnapshotter, private readonly epoch: Date | undefined) {}

  readonly start = (key: string): void => {
    // Failures are the export's to report, if it still needs the layer.
    this.started.push(stepLayer(this.engine, this.snapshotter, key, this.scope.signal, this.epoch).catch(() => undefined));
  };

  async [Symbol.asyncDispose](): Promise<void> {
    this.scope.abort(new KilnError('CANCELED', 'the build ended'));
    await Promise.allSettled(this.started);
  }
}

/** The layer of step snapshot `key`, made (diffed, compressed, stored) only the first time. */
async function makeStepLayer(engine: ImageEngine, snapshotter: OverlaySnapshotter, key: string, epoch: Date | undefined, signal: AbortSignal): Promise<KeptLayer> {
  const kept = await readKeptLayer(engine.content, snapshotter, key, epoch);
  if (kept !== undefined) return kept;
  const written = await writeSnapshotLayer(engine.content, snapshotter, key, { signal, ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }) });
  const layer: KeptLayer = { descriptor: written.descriptor, diffId: written.diffId, created: new Date().toISOString() };
  await keepLayer(snapshotter, key, layer, epoch);
  return layer;
}

export interface ExportInput {
  conversion: Conversion;
  /** The manifest of the target stage's base image; undefined for scratch. */
  baseManifest: ImageManifest | undefined;
  /** The solved result's snapshot. */
  result: string | undefined;
  /** SOURCE_DATE_EPOCH, for a reproducible image. */
  sourceDateEpoch?: Date;
  /** Fields of the config beyond the spec's: the inline build cache. */
  configFields?: Record<string, unknown>;
  signal?: AbortSignal;
}

export async function exportImage(engine: ImageEngine, snapshotter: OverlaySnapshotter, input: ExportInput): Promise<CommittedImage> {
  const { conversion, baseManifest } = input;
  const baseConfig = conversion.baseImage?.config;
  const baseLayerCount = baseConfig?.rootfs.diff_ids.length ?? 0;
  const steps = (await snapshotChain(snapshotter, input.result)).slice(baseLayerCount);
  // Layers are made side by side: their compression shares the worker pool, so a big layer
  // does not hold up the others.
  const kept = await Promise.all(steps.map((key) => stepLayer(engine, snapshotter, key, input.signal, input.sourceDateEpoch)));
  const layers: ImageLayer[] = kept.map(({ descriptor, diffId }) => ({ descriptor, diffId }));
  const newest = input.sourceDateEpoch?.toISOString() ?? kept.map((layer) => layer.created).sort().at(-1) ?? baseConfig?.created;
  const withLayer = conversion.history.filter((entry) => entry.empty_layer !== true).length;
  if (withLayer !== layers.length) {
    throw new KilnError('INTERNAL', `the build made ${layers.length} layers for ${withLayer} steps that write files`);
  }
  // The base image, with the execution config the Dockerfile made of its own: the commit
  // then lays the build's layers and history on top of the base's.
  const { config: execution, author } = conversion.config;
  return commitImage(engine.content, {
    base: {
      manifest: baseManifest ?? { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: MediaTypes.ociConfig, digest: `sha256:${'0'.repeat(64)}`, size: 0 }, layers: [] },
      config: {
        ...conversion.config,
        ...(execution === undefined ? {} : { config: execution }),
        ...(author === undefined ? {} : { author }),
        rootfs: { type: 'layers', diff_ids: baseConfig?.rootfs.diff_ids ?? [] },
        history: baseConfig?.history ?? [],
      },
    },
    layers,
    history: conversion.history,
    ...(newest === undefined ? {} : { sourceDateEpoch: new Date(newest) }),
    ...(input.configFields === undefined ? {} : { configFields: input.configFields }),
  });
}
