// Conversion between the wire platform object of descriptors and configs (`os.version`,
// `os.features`) and the in-memory Platform that parsing, normalising and matching use.
// Parsing, normalising and formatting live in platform-parse.ts.
import type { Platform } from './platform-parse.js';
import type { OCIPlatform } from './types.js';

export {
  formatPlatform, formatPlatformAll, hostPlatform, normalizePlatform, parsePlatform, PlatformError, type Platform,
} from './platform-parse.js';

export function fromOCIPlatform(p: OCIPlatform): Platform {
  const out: Platform = { os: p.os, architecture: p.architecture };
  if (p.variant) out.variant = p.variant;
  if (p['os.version']) out.osVersion = p['os.version'];
  if (p['os.features'] && p['os.features'].length > 0) out.osFeatures = [...p['os.features']];
  return out;
}

/** Field order follows image-spec's examples, which is also how docker and BuildKit write it. */
export function toOCIPlatform(p: Platform): OCIPlatform {
  const out: OCIPlatform = { architecture: p.architecture, os: p.os };
  if (p.osVersion) out['os.version'] = p.osVersion;
  if (p.osFeatures && p.osFeatures.length > 0) out['os.features'] = [...p.osFeatures];
  if (p.variant) out.variant = p.variant;
  return out;
}
