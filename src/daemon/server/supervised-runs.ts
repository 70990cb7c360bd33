// The containers the Docker API and `kiln run -d` start, supervised by the daemon itself as a
// foreground `kiln run` over the daemon is: startContainer runs in this process, registered in
// ForegroundRuns so that kill and the daemon's shutdown reach it, with its output going to its
// json log and to every client attached to it at the time (stdcopy frames, or raw bytes with a
// terminal).
//
// Attachments and stdin belong to the container's next run when it is not running: docker
// run attaches before it starts the container, and may send its stdin before the start too.
// Each run's end (and a removal) is announced to the waiters as it happens, so a `--rm`
// container that exits and goes within milliseconds is never missed (engine-api.md trap 2).
// A run that ends on its own is started again as its restart policy says (restart-policy.ts),
// after a growing delay; the routes say which ends were a user's stop, and the daemon's
// shutdown is none.
import { EventEmitter } from 'node:events';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { encodeFrame, STDERR, STDOUT } from '../../api/frames.js';
import { ConsoleSize } from '../../executor/index.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage } from '../images/local.js';
import { runcRootOf, runcStatus } from '../containers/reconcile.js';
import type { ContainerRecord } from '../containers/record.js';
import { restartDelayMs, restartsAfterExit, restartsWithDaemon } from '../containers/restart-policy.js';
import { ContainerStartError, startContainer } from '../containers/run.js';
import { ContainerStore } from '../containers/store.js';
import type { ForegroundRuns } from './run-route.js';

/** docker's exit status for a container that could not be started for a reason of the daemon's. */
const startFailureExitCode = 125;
const startPollMs = 20;
/** runc's states once the container's process runs. */
const liveRuncStates = new Set(['running', 'paused']);

export interface Attachment {
  socket: Duplex;
  stdout: boolean;
  stderr: boolean;
}

/** How a run ended: its exit code, and whether the container went with it (--rm). */
export interface RunEnd {
  exitCode: number;
  removed: boolean;
  /** Why it could not be started, when it could not. */
  failure?: unknown;
}

interface Session {
  attachments: Set<Attachment>;
  /** The container's stdin for its current or next run (OpenStdin), made on first use. */
  stdin?: PassThrough;
  /** The run under way: set as soon as a start begins, cleared once its end is announced. */
  run?: Promise<RunEnd>;
}

/** Writes `data`, resolving once the socket has taken it (or has gone). */
function delivered(socket: Duplex, data: Buffer): Promise<void> {
  if (socket.destroyed || !socket.writable || socket.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const go = (): void => {
      socket.off('drain', go).off('close', go);
      resolve();
    };
    socket.on('drain', go).on('close', go);
  });
}

export class SupervisedRuns {
  private readonly sessions = new Map<string, Session>();
  private readonly events = new EventEmitter().setMaxListeners(0);
  /** Containers a user is stopping (their run, or a restart still to come): their policy is off. */
  private readonly stoppedByHand = new Set<string>();
  /** The last restart delay of each container that restarts. */
  private readonly restartDelays = new Map<string, number>();

  constructor(private readonly engine: ImageEngine, private readonly runs: ForegroundRuns) {}

  private session(id: string): Session {
    let session = this.sessions.get(id);
    if (session === undefined) {
      session = { attachments: new Set() };
      this.sessions.set(id, session);
    }
    return session;
  }

  /** The run of container `id` under way in this daemon, if any. */
  active(id: string): Promise<RunEnd> | undefined {
    return this.sessions.get(id)?.run;
  }

  /** Calls `listener` at each end of a run of `id` here; the result unsubscribes. */
  onEnd(id: string, listener: (end: RunEnd) => void): () => void {
    const filtered = (endedId: string, end: RunEnd): void => void (endedId === id && listener(end));
    this.events.on('end', filtered);
    return () => void this.events.off('end', filtered);
  }

  /** Calls `listener` once container `id` is removed (by its --rm run or by rm here). */
  onRemoved(id: string, listener: () => void): () => void {
    const filtered = (removedId: string): void => void (removedId === id && listener());
    this.events.on('removed', filtered);
    return () => void this.events.off('removed', filtered);
  }

  /**
   * Attaches a client's connection to the container's output, and with `stdin` its input to the
   * container's stdin (`rest`: what it sent already). Its end of input ends the container's
   * stdin when the container was created with StdinOnce; it is otherwise only read and dropped.
   */
  attach(record: ContainerRecord, attachment: Attachment, stdin: boolean, rest: Buffer): void {
    const session = this.session(record.id);
    session.attachments.add(attachment);
    const { socket } = attachment;
    socket.once('close', () => session.attachments.delete(attachment));
    const input = stdin && record.config.openStdin ? (session.stdin ??= new PassThrough()) : undefined;
    // Without stdin, or once an earlier client's end of input (StdinOnce) has closed it.
    if (input === undefined || input.writableEnded) {
      socket.resume();
      return;
    }
    if (rest.length > 0) input.write(rest);
    socket.pipe(input, { end: false });
    let done = false;
    const inputEnded = (): void => {
      if (done) return;
      done = true;
      socket.unpipe(input);
      if (record.config.stdinOnce === true) input.end();
    };
    socket.once('end', inputEnded).once('close', inputEnded);
  }

  /** The container's output stream `stream`, copied to each attachment that asked for it. */
  private output(session: Session, stream: 'stdout' | 'stderr', tty: boolean): Writable {
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        const data = tty ? chunk : encodeFrame(stream === 'stdout' ? STDOUT : STDERR, chunk);
        const targets = [...session.attachments].filter((attachment) => attachment[stream]);
        void Promise.all(targets.map((attachment) => delivered(attachment.socket, data))).then(() => done());
      },
    });
  }

  /** The user is stopping (or killing, or removing) the container: its policy does not restart it. */
  stopByHand(id: string): void {
    this.stoppedByHand.add(id);
  }

  /**
   * Starts the created (or exited) container; resolves once its process runs (or has already
   * ended), rejects with why it could not be started. The run goes on to its end here. A start
   * by hand turns the restart policy back on and its count back to zero.
   */
  start(given: ContainerRecord, { byPolicy = false } = {}): Promise<void> {
    const { restartCount: _count, manuallyStopped: _stopped, ...state } = given.state;
    const record = byPolicy ? given : { ...given, state };
    if (!byPolicy) {
      this.restartDelays.delete(record.id);
      this.stoppedByHand.delete(record.id);
    }
    const session = this.session(record.id);
    const controller = new AbortController();
    // A terminal's size is set by resize requests once the client knows the container runs.
    const consoleSize = record.config.tty === true ? new ConsoleSize() : undefined;
    const run = this.runToEnd(record, session, controller, consoleSize);
    session.run = run;
    this.runs.register(record.id, controller, consoleSize);
    this.runs.track(run.then(() => undefined));
    return this.untilRunning(record.id, run);
  }

  private async runToEnd(record: ContainerRecord, session: Session, controller: AbortController, consoleSize: ConsoleSize | undefined): Promise<RunEnd> {
    const stdin = record.config.openStdin ? (session.stdin ??= new PassThrough()) : undefined;
    const tty = record.config.tty ?? false;
    const io = {
      stdout: this.output(session, 'stdout', tty), stderr: this.output(session, 'stderr', tty),
      ...(stdin === undefined ? {} : { stdin }), ...(consoleSize === undefined ? {} : { consoleSize }),
    };
    let exitCode: number;
    let failure: unknown;
    try {
      // A container that ran before is released from its network in the background: done first.
      if (record.state.startedAt !== undefined) await this.engine.endpointPool?.idle();
      const { image } = await findImage(this.engine, record.imageId);
      exitCode = await startContainer(this.engine, image, record, io, controller.signal);
    } catch (err) {
      failure = err;
      exitCode = err instanceof ContainerStartError ? err.exitStatus : startFailureExitCode;
    }
    this.runs.unregister(record.id);
    const byHand = this.stoppedByHand.delete(record.id);
    const removed = record.config.autoRemove && (await new ContainerStore(this.engine.root).get(record.id).catch(() => undefined)) === undefined;
    // Everything the run wrote has reached the attached sockets (the log's close waited for it).
    for (const attachment of session.attachments) attachment.socket.end();
    session.attachments.clear();
    delete session.stdin;
    delete session.run;
    this.sessions.delete(record.id);
    const end: RunEnd = { exitCode, removed, ...(failure === undefined ? {} : { failure }) };
    // Recorded before the end is announced: a waiter that reads the record sees the stop by hand.
    if (!removed && failure === undefined) await this.afterExit(record, exitCode, byHand);
    this.events.emit('end', record.id, end);
    if (removed) this.events.emit('removed', record.id);
    return end;
  }

  /** Records a stop by hand, or schedules the restart the container's policy asks for. */
  private async afterExit(ran: ContainerRecord, exitCode: number, byHand: boolean): Promise<void> {
    if (ran.config.restartPolicy === undefined || this.runs.stopping) return;
    const store = new ContainerStore(this.engine.root);
    const record = await store.get(ran.id).catch(() => undefined);
    if (record === undefined) return;
    if (byHand) {
      await store.write({ ...record, state: { ...record.state, manuallyStopped: true } }, { durable: false });
      return;
    }
    if (!restartsAfterExit(record, exitCode)) return;
    const ranMs = Date.now() - Date.parse(record.state.startedAt ?? '');
    const wait = restartDelayMs(this.restartDelays.get(record.id), Number.isNaN(ranMs) ? 0 : ranMs);
    this.restartDelays.set(record.id, wait);
    setTimeout(() => void this.restartByPolicy(record.id).catch(() => undefined), wait).unref();
  }

  /**
   * The policy's restart, unless in the meantime the daemon began to shut down, or the
   * container was started, stopped by hand or removed. A start that fails is recorded in the
   * container's state, as any start's failure, and is not tried again.
   */
  private async restartByPolicy(id: string): Promise<void> {
    const store = new ContainerStore(this.engine.root);
    const record = await store.get(id);
    if (this.runs.stopping || record === undefined || record.state.status !== 'exited' || record.state.manuallyStopped === true || this.sessions.get(id)?.run !== undefined) return;
    // Stopped by hand while it waited to come back.
    if (this.stoppedByHand.delete(id)) {
      await store.write({ ...record, state: { ...record.state, manuallyStopped: true } }, { durable: false });
      return;
    }
    const counted = { ...record, state: { ...record.state, restartCount: (record.state.restartCount ?? 0) + 1 } };
    await store.write(counted, { durable: false });
    await this.start(counted, { byPolicy: true });
  }

  /** At the daemon's start: the containers whose policy brings them back with the daemon. */
  async restartWithDaemon(records: ContainerRecord[]): Promise<void> {
    await Promise.all(records.filter((record) => record.state.status === 'exited' && restartsWithDaemon(record))
      .map((record) => this.start(record, { byPolicy: true }).catch(() => undefined)));
  }

  /** Polls runc until the container's process runs, or the run has ended (with a failure, rejects). */
  private async untilRunning(id: string, run: Promise<RunEnd>): Promise<void> {
    let ended: RunEnd | undefined;
    void run.then((end) => (ended = end));
    for (;;) {
      if (ended !== undefined) {
        if (ended.failure !== undefined) throw ended.failure;
        return;
      }
      if (liveRuncStates.has((await runcStatus(runcRootOf(this.engine.root), id)) ?? '')) return;
      await Promise.race([delay(startPollMs), run]);
    }
  }

  /** A container removed by rm: its waiters are told, and clients attached to its next run let go. */
  removed(id: string): void {
    this.stoppedByHand.delete(id);
    this.restartDelays.delete(id);
    const session = this.sessions.get(id);
    if (session !== undefined && session.run === undefined) {
      for (const attachment of session.attachments) attachment.socket.end();
      this.sessions.delete(id);
    }
    this.events.emit('removed', id);
  }
}
