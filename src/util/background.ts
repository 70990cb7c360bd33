// Work a caller starts and does not wait for, such as deleting what a `run --rm` container
// left, once the container is gone for every reader: the run's result does not wait on the
// deletions. Whoever holds the work (the engine) waits for it before it closes, and a test or
// benchmark can wait for it between runs. A failure cannot reach the caller, who has moved on:
// it is reported, and what it left behind is swept at the next start.

export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (what: string, err: unknown) => void = reportWarning) {}

  /** Tracks `work` until it settles; `what` names it in a failure's report. */
  add(what: string, work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      (err: unknown) => this.onError(what, err),
    ).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves once all work added so far, and any added meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }
}

function reportWarning(what: string, err: unknown): void {
  process.emitWarning(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}
