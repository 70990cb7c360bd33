// How an image's name is written into an index.json entry, and read back. Two annotations
// carry it: image-spec's `org.opencontainers.image.ref.name`, which skopeo, umoci and
// BuildKit's OCI exporter set to the tag alone (`oci:DIR:TAG` looks the tag up there), and
// containerd's `io.containerd.image.name`, the full normalised reference that docker save
// (Docker 25+) and containerd's exporter add beside it.
import type { Descriptor } from '../image/index.js';
import { formatReference, parseNormalizedReference, withDefaultTag, type Reference } from '../registry/index.js';

export const refNameAnnotation = 'org.opencontainers.image.ref.name';
export const imageNameAnnotation = 'io.containerd.image.name';

/** The annotations of an OCI layout's entry for `name`, a bare tag (`latest`) or a reference. */
export function nameAnnotations(name: string): Record<string, string> {
  if (isBareTag(name)) return { [refNameAnnotation]: name };
  return referenceAnnotations(parseNormalizedReference(name));
}

/** The annotations docker save writes for an image reference; no tag means `latest`. */
export function referenceAnnotations(reference: Reference): Record<string, string> {
  const ref = withDefaultTag(reference);
  const annotations: Record<string, string> = { [imageNameAnnotation]: formatReference(ref) };
  if (ref.tag !== undefined) annotations[refNameAnnotation] = ref.tag;
  return annotations;
}

/**
 * The full image name an index.json entry carries, if any. A ref.name is a name only when it
 * is more than a tag: a tag can hold neither '/' nor ':', so `latest` is not one.
 */
export function entryImageName(desc: Descriptor): string | undefined {
  const full = desc.annotations?.[imageNameAnnotation];
  if (full !== undefined) return formatReference(parseNormalizedReference(full));
  const refName = desc.annotations?.[refNameAnnotation];
  if (refName === undefined || isBareTag(refName)) return undefined;
  // image-spec lets ref.name be any string; one that is no valid reference names nothing.
  try {
    return formatReference(withDefaultTag(parseNormalizedReference(refName)));
  } catch {
    return undefined;
  }
}

/** What a layout lists an entry under: containerd's full name, else the ref.name. */
export function entryDisplayName(desc: Descriptor): string | undefined {
  return desc.annotations?.[imageNameAnnotation] ?? desc.annotations?.[refNameAnnotation];
}

function isBareTag(name: string): boolean {
  return !/[/:@]/.test(name);
}
