// Which manifest of an index to run on a platform. The rules are containerd's default matcher
// (platforms.Only), the one docker pull uses: OS and architecture must be equal after
// normalisation, and a platform also runs images built for the older variants of its
// architecture (arm/v7 runs v6 and v5; arm64 runs 32-bit arm; amd64/v3 runs v2, v1 and 386).
// Exact matches rank before fallbacks. OS versions and features are not compared, as on a
// Linux host.
import { KilnError } from '../util/errors.js';
import { isIndex, isManifest } from './mediatypes.js';
import { formatPlatform, fromOCIPlatform, normalizePlatform, type Platform } from './platform.js';
import type { Descriptor, ImageIndex } from './types.js';

/** The platforms whose images run on `want`, best first (containerd's platformVector). */
export function compatiblePlatforms(want: Platform): Platform[] {
  const p = normalizePlatform(want);
  const exact: Platform = withVariant(p.os, p.architecture, p.variant ?? '');
  switch (p.architecture) {
    case 'amd64':
      return [exact, ...olderVariants(p.os, 'amd64', p.variant, 1), { os: p.os, architecture: '386' }];
    case 'arm':
      return [exact, ...olderVariants(p.os, 'arm', p.variant, 5)];
    case 'arm64':
      return [exact, ...olderArm64Variants(p.os, p.variant ?? 'v8'), ...armFrom(p.os, 8)];
    default:
      return [exact];
  }
}

/** Whether an image built for `have` runs on `want`. */
export function matchesPlatform(want: Platform, have: Platform): boolean {
  return rank(compatiblePlatforms(want), have) >= 0;
}

/**
 * The index entry to use for `want`: the best-ranked platform match, the first one listed
 * among equals. Attestations and other artifacts are never chosen; an image entry without a
 * platform is a last resort, as in containerd.
 */
export function selectManifest(index: Pick<ImageIndex, 'manifests'>, want: Platform): Descriptor | undefined {
  const vector = compatiblePlatforms(want);
  let best: { desc: Descriptor; rank: number } | undefined;
  for (const desc of imageEntries(index)) {
    const r = desc.platform === undefined ? vector.length : rank(vector, fromOCIPlatform(desc.platform));
    if (r >= 0 && (best === undefined || r < best.rank)) best = { desc, rank: r };
  }
  return best?.desc;
}

/** The platforms an index offers images for, as `os/arch[/variant]`. */
export function availablePlatforms(index: Pick<ImageIndex, 'manifests'>): string[] {
  const platforms = imageEntries(index).flatMap((d) => (d.platform ? [formatPlatform(fromOCIPlatform(d.platform))] : []));
  return [...new Set(platforms)];
}

/** The error docker pull reports when selectManifest finds nothing. */
export function noMatchingManifestError(want: Platform, index?: Pick<ImageIndex, 'manifests'>): KilnError {
  const offered = index === undefined ? [] : availablePlatforms(index);
  const hint = offered.length > 0 ? `the image is available for ${offered.join(', ')}; choose one with --platform` : undefined;
  return new KilnError('NOT_FOUND', `no matching manifest for ${formatPlatform(want)} in the manifest list entries`, { hint });
}

/**
 * BuildKit lists provenance and SBOM attestations in the image index beside the images, marked
 * by an annotation and the platform unknown/unknown; they cannot be run.
 */
export function isAttestation(desc: Descriptor): boolean {
  if (desc.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  return desc.platform?.os === 'unknown' && desc.platform.architecture === 'unknown';
}

function imageEntries(index: Pick<ImageIndex, 'manifests'>): Descriptor[] {
  return index.manifests.filter(
    (d) => (isManifest(d.mediaType) || isIndex(d.mediaType)) && d.artifactType === undefined && !isAttestation(d),
  );
}

function rank(vector: Platform[], have: Platform): number {
  const h = normalizePlatform(have);
  return vector.findIndex((m) => m.os === h.os && m.architecture === h.architecture && (m.variant ?? '') === (h.variant ?? ''));
}

/** `vN` of `arch` down to `v<lowest>`, normalised (amd64/v1 is plain amd64). */
function olderVariants(os: string, arch: string, variant: string | undefined, lowest: number): Platform[] {
  const version = /^v(\d+)$/.exec(variant ?? '');
  const out: Platform[] = [];
  for (let v = Number(version?.[1] ?? 0) - 1; v >= lowest; v--) out.push(normalizePlatform(withVariant(os, arch, `v${v}`)));
  return out;
}

/** arm64/v9.x runs v9.{x-1..0} and v8.{x+5..0}, v9.0 having branched from v8.5; v8.x runs v8.{x-1..0}. */
function olderArm64Variants(os: string, variant: string): Platform[] {
  const version = /^v(\d+)(?:\.(\d+))?$/.exec(variant);
  const major = Number(version?.[1] ?? 0);
  let minor = Number(version?.[2] ?? 0);
  const out: Platform[] = [];
  const push = (maj: number, min: number): void => {
    out.push(normalizePlatform(withVariant(os, 'arm64', min === 0 ? `v${maj}` : `v${maj}.${min}`)));
  };
  if (major === 9) {
    for (let m = minor - 1; m >= 0; m--) push(9, m);
    minor += 5;
    push(8, minor);
  }
  if (major === 8 || major === 9) for (let m = minor - 1; m >= 0; m--) push(8, m);
  return out;
}

function armFrom(os: string, version: number): Platform[] {
  return [withVariant(os, 'arm', `v${version}`), ...olderVariants(os, 'arm', `v${version}`, 5)];
}

function withVariant(os: string, architecture: string, variant: string): Platform {
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}
