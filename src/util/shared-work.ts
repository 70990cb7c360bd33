// Work several waiters share by name: started by the first, joined by the others while it runs,
// and cancelled only once every waiter has given up (BuildKit's shared flight). A waiter
// without a signal never gives up.

interface Flight<T> {
  result: Promise<T>;
  controller: AbortController;
  /** Waiters still waiting; Infinity once one waits without a signal. */
  waiting: number;
}

export class SharedWork<T> {
  private readonly flights = new Map<string, Flight<T>>();

  /** `start`'s result for `name`, started now unless it is in flight. */
  join(name: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    let flight = this.flights.get(name);
    if (flight === undefined) {
      const controller = new AbortController();
      const created: Flight<T> = { controller, waiting: 0, result: Promise.resolve().then(() => start(controller.signal)) };
      created.result = created.result.finally(() => this.flights.delete(name));
      this.flights.set(name, created);
      flight = created;
    }
    return signal === undefined ? this.pinned(flight) : this.waitFor(flight, signal);
  }

  private pinned(flight: Flight<T>): Promise<T> {
    flight.waiting = Infinity;
    return flight.result;
  }

  private waitFor(flight: Flight<T>, signal: AbortSignal): Promise<T> {
    flight.waiting++;
    return new Promise<T>((resolve, reject) => {
      const giveUp = (): void => {
        reject(signal.reason as Error);
        if (--flight.waiting === 0) flight.controller.abort(signal.reason);
      };
      signal.addEventListener('abort', giveUp, { once: true });
      flight.result.then(resolve, reject).finally(() => signal.removeEventListener('abort', giveUp));
    });
  }
}
