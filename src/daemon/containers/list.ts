// The containers `ps` shows: every record, its state reconciled with what still runs.
import type { ImageEngine } from '../images/engine.js';
import { reconcile } from './reconcile.js';
import type { ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';

/** Newest first, as `docker ps` lists them. */
export async function listContainers(engine: ImageEngine): Promise<ContainerRecord[]> {
  const store = new ContainerStore(engine.root);
  const records = await Promise.all((await store.list()).map((r) => reconcile(store, engine.root, r)));
  return records.sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
}
