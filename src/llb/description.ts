// Kiln's own entries in a vertex's description: JSON under a `kiln.*` key, outside the digest.
// Descriptions are free-form and only advisory, so a missing or malformed entry reads as none.
import type { VertexMetadata } from './ops.js';

/** The JSON object under `key` in the vertex's description, if there is a well-formed one. */
export function descriptionObject(metadata: VertexMetadata | undefined, key: string): Record<string, unknown> | undefined {
  const text = metadata?.description?.[key];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}
