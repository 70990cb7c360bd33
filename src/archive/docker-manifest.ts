// Docker's own description of a saved image, beside the OCI layout of a docker-archive:
// manifest.json, read by every `docker load` since 1.10 ([{Config, RepoTags, Layers}] with
// paths inside the archive), and the older `repositories` ({repo: {tag: id}}). Docker 25+
// stores the hex digest of the image's top layer there (moby image/tarexport/save.go); our
// layers may be compressed, so it is the top layer blob's hex, the same path Layers names.
import { digestHex, type Digest } from '../content/index.js';
import type { Descriptor, ImageManifest } from '../image/index.js';
import { familiarName, parseNormalizedReference, withDefaultTag, type Reference } from '../registry/index.js';
import { referenceAnnotations } from './annotations.js';
import { blobEntryName } from './layout-files.js';

export interface ArchiveImage {
  /** The manifest or index the copy wrote as its root. */
  root: Descriptor;
  /** References naming it, e.g. `busybox:latest` or `registry.example.com/app:1`. */
  names: string[];
}

/** The manifest manifest.json describes for a root (the root itself, or one of its index). */
export interface RootManifest {
  digest: Digest;
  manifest: ImageManifest;
}

/** One image of manifest.json, with Docker's field names. */
export interface ManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export type Repositories = Record<string, Record<string, string>>;

/** The index.json annotations docker save writes for one name of an image. */
export function annotationsFor(name: string): Record<string, string> {
  return referenceAnnotations(parseNormalizedReference(name));
}

export function dockerImageFiles(
  images: ArchiveImage[],
  manifestFor: (root: Digest) => RootManifest | undefined,
): { manifest: ManifestItem[]; repositories?: Repositories } {
  const manifest: ManifestItem[] = [];
  const repositories: Repositories = {};
  for (const { root, names } of images) {
    const found = manifestFor(root.digest);
    // An index without any image manifest (attestations only) has nothing docker could load.
    if (found === undefined) continue;
    const tagged = names.map((name) => withDefaultTag(parseNormalizedReference(name))).filter(hasTag);
    manifest.push({
      Config: blobEntryName(found.manifest.config.digest),
      RepoTags: tagged.map(familiarName),
      Layers: found.manifest.layers.map((layer) => blobEntryName(layer.digest)),
    });
    const top = found.manifest.layers.at(-1);
    if (top === undefined) continue;
    for (const ref of tagged) {
      const repo = familiarName({ domain: ref.domain, path: ref.path });
      (repositories[repo] ??= {})[ref.tag] = digestHex(top.digest);
    }
  }
  return Object.keys(repositories).length > 0 ? { manifest, repositories } : { manifest };
}

/** Digest-only references name no tag, so neither RepoTags nor repositories can list them. */
function hasTag(ref: Reference): ref is Reference & { tag: string } {
  return ref.tag !== undefined && ref.digest === undefined;
}
