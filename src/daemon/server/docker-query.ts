// What the Docker container endpoints read from every request alike: boolean and integer query
// parameters as dockerd reads them, and the container a path names (full ID, name, or unique ID
// prefix) with its state reconciled with what still runs.
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { reconcile } from '../containers/reconcile.js';
import type { ContainerRecord } from '../containers/record.js';
import { ContainerStore } from '../containers/store.js';

/** dockerd's boolValue: absent, "", "0", "no", "false" and "none" are false, anything else true. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && !['', '0', 'no', 'false', 'none'].includes(value.toLowerCase());
}

/** An integer parameter; undefined when absent or empty (trap 10: absent is not zero). */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw new KilnError('INVALID_ARGUMENT', `invalid value for ${name}: "${value}" is not an integer`);
  return Number(value);
}

export async function findContainer(engine: ImageEngine, text: string): Promise<ContainerRecord> {
  const store = new ContainerStore(engine.root);
  return reconcile(store, engine.root, await store.find(text));
}
