// What each step's key was made of the last time it was built, kept so that the next miss of
// the same step can name what changed (issue 5). One small JSON file per step identity under
// `<root>/cache/explain/`, replaced on every build whose key differs: the store is bounded by
// the number of distinct steps, and each record by the bounded lists the ops give. Values of
// ARGs and ENVs arrive hashed (ops/explain.ts); nothing here is ever printed but names and
// public digests.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestBytes, digestHex, type Digest } from '../content/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { ContentEntry, KeyFacet } from './types.js';

/** One input as it entered the key. */
export interface InputRecord {
  key: Digest;
  content: boolean;
  /** The identity of the step that produced it, when it has one. */
  step?: string;
  /** For a content key, what was selected; absent when the op gave no list. */
  entries?: ContentEntry[];
}

export interface StepRecord {
  version: 1;
  step: string;
  /** The key of output 0. */
  key: Digest;
  /** The op's digest: a difference no facet explains is still seen. */
  op: Digest;
  facets: KeyFacet[];
  inputs: InputRecord[];
  builtAt: string;
}

/** Keys remembered in memory at most, so that cache hits of known keys read no file. */
const memoLimit = 10_000;

export function stepRecordsDir(root: string): string {
  return join(root, 'cache', 'explain');
}

export class StepRecords {
  private readonly dir: string;
  /** The key each step's record holds, as far as this process wrote or read it. */
  private readonly known = new Map<string, Digest>();

  constructor(root: string) {
    this.dir = stepRecordsDir(root);
  }

  /** Whether the record of `step` is known to hold `key` already (nothing to write). */
  holds(step: string, key: Digest): boolean {
    return this.known.get(step) === key;
  }

  /** The last record of `step`; a torn, foreign or missing file reads as none. */
  async read(step: string): Promise<StepRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(step), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const record = JSON.parse(text) as Partial<StepRecord> | null;
      const whole = record?.version === 1 && record.step === step && typeof record.key === 'string' && typeof record.op === 'string'
        && Array.isArray(record.facets) && Array.isArray(record.inputs);
      if (!whole) return undefined;
      this.remember(step, record.key as Digest);
      return record as StepRecord;
    } catch {
      return undefined;
    }
  }

  /** Not durable: a record lost to a power cut only makes the next miss say less. */
  async write(record: StepRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.pathOf(record.step), `${JSON.stringify(record)}\n`, { durable: false });
    this.remember(record.step, record.key);
  }

  private remember(step: string, key: Digest): void {
    if (this.known.size >= memoLimit && !this.known.has(step)) this.known.clear();
    this.known.set(step, key);
  }

  /** Identities are long and free-form (they hold a Dockerfile's path): files are named by their digest. */
  private pathOf(step: string): string {
    return join(this.dir, `${digestHex(digestBytes(step))}.json`);
  }
}
