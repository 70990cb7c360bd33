// Parse-and-validate for the image documents fetched from registries, OCI layouts and
// archives. Both OCI and Docker schema2 media types are accepted. A document without a
// mediaType is accepted when its shape fits, as containerd does, but a document that is
// plainly the other kind (an index's `manifests` in a manifest, a manifest's `layers` in an
// index) is refused. The parsed object is returned as is, so unknown fields survive.
import { isIndex, isManifest } from './mediatypes.js';
import {
  arrayOf, boolean, digest, integer, invalid, nonEmptyString, object, objectSet, optional, parseDocument,
  required, size, string, stringArray, stringMap, type Check, type JSONObject,
} from './json-fields.js';
import type { ImageConfig, ImageIndex, ImageManifest } from './types.js';

/** Parses an OCI image index or Docker manifest list. */
export function parseIndex(json: string | Uint8Array): ImageIndex {
  const doc = parseDocument(json, 'index');
  checkSchema(doc, 'index');
  if (typeof doc['mediaType'] === 'string' && !isIndex(doc['mediaType'])) {
    invalid('index.mediaType', `${JSON.stringify(doc['mediaType'])} is not an index media type`);
  }
  for (const key of ['config', 'layers']) {
    if (doc[key] !== undefined) invalid(`index.${key}`, 'found in an index (is this a manifest?)');
  }
  required(doc, 'manifests', 'index', arrayOf(descriptor));
  checkArtifactFields(doc, 'index');
  return doc as unknown as ImageIndex;
}

/** Parses an OCI image manifest or Docker schema2 manifest. */
export function parseManifest(json: string | Uint8Array): ImageManifest {
  const doc = parseDocument(json, 'manifest');
  checkSchema(doc, 'manifest');
  if (typeof doc['mediaType'] === 'string' && !isManifest(doc['mediaType'])) {
    invalid('manifest.mediaType', `${JSON.stringify(doc['mediaType'])} is not a manifest media type`);
  }
  if (doc['manifests'] !== undefined) invalid('manifest.manifests', 'found in a manifest (is this an index?)');
  required(doc, 'config', 'manifest', descriptor);
  required(doc, 'layers', 'manifest', arrayOf(descriptor));
  checkArtifactFields(doc, 'manifest');
  return doc as unknown as ImageManifest;
}

/** Parses an image config blob (OCI or Docker, which share the format). */
export function parseImageConfig(json: string | Uint8Array): ImageConfig {
  const doc = parseDocument(json, 'config');
  required(doc, 'architecture', 'config', nonEmptyString);
  required(doc, 'os', 'config', nonEmptyString);
  for (const key of ['created', 'author', 'os.version', 'variant']) optional(doc, key, 'config', string);
  optional(doc, 'os.features', 'config', stringArray);
  optional(doc, 'config', 'config', executionConfig);
  required(doc, 'rootfs', 'config', rootfs);
  optional(doc, 'history', 'config', arrayOf(historyEntry));
  return doc as unknown as ImageConfig;
}

/** A content descriptor: required mediaType, digest and size, then the optional fields. */
const descriptor: Check = (value, path) => {
  const d = object(value, path);
  required(d, 'mediaType', path, nonEmptyString);
  required(d, 'digest', path, digest);
  required(d, 'size', path, size);
  optional(d, 'annotations', path, stringMap);
  optional(d, 'urls', path, stringArray);
  optional(d, 'platform', path, platform);
  optional(d, 'artifactType', path, string);
  optional(d, 'data', path, string);
};

const platform: Check = (value, path) => {
  const p = object(value, path);
  required(p, 'architecture', path, string);
  required(p, 'os', path, string);
  optional(p, 'os.version', path, string);
  optional(p, 'os.features', path, stringArray);
  optional(p, 'variant', path, string);
};

/** schemaVersion 1 is the signed legacy format, which no current registry serves. */
function checkSchema(doc: JSONObject, path: string): void {
  if (doc['fsLayers'] !== undefined || doc['schemaVersion'] === 1) {
    invalid(`${path}.schemaVersion`, 'schema 1 manifests are not supported');
  }
  if (doc['schemaVersion'] !== 2) invalid(`${path}.schemaVersion`, 'must be 2');
  optional(doc, 'mediaType', path, nonEmptyString);
}

function checkArtifactFields(doc: JSONObject, path: string): void {
  optional(doc, 'artifactType', path, string);
  optional(doc, 'subject', path, descriptor);
  optional(doc, 'annotations', path, stringMap);
}

const executionConfig: Check = (value, path) => {
  const c = object(value, path);
  for (const key of ['User', 'WorkingDir', 'StopSignal']) optional(c, key, path, string);
  for (const key of ['Env', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell']) optional(c, key, path, stringArray);
  optional(c, 'ExposedPorts', path, objectSet);
  optional(c, 'Volumes', path, objectSet);
  optional(c, 'Labels', path, stringMap);
  optional(c, 'ArgsEscaped', path, boolean);
  optional(c, 'Healthcheck', path, healthConfig);
};

const healthConfig: Check = (value, path) => {
  const h = object(value, path);
  optional(h, 'Test', path, stringArray);
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) optional(h, key, path, integer);
};

const rootfs: Check = (value, path) => {
  const r = object(value, path);
  if (r['type'] !== 'layers') invalid(`${path}.type`, 'must be "layers"');
  // Docker omits diff_ids for an image without layers (Go's omitempty).
  r['diff_ids'] ??= [];
  arrayOf(digest)(r['diff_ids'], `${path}.diff_ids`);
};

const historyEntry: Check = (value, path) => {
  const h = object(value, path);
  for (const key of ['created', 'created_by', 'author', 'comment']) optional(h, key, path, string);
  optional(h, 'empty_layer', path, boolean);
};
