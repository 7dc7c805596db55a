/**
 * One HTTP thread as its host sees it: the Worker, its two port channels (src/channels; the
 * protocol is in host.worker.ts), and the promise of its exit.
 *
 * `spawnThread` resolves once the thread reported 'ready' (listening; its bound ports and its
 * limiter holder slot) and rejects if it reported 'failed' or ended before that. Afterwards:
 *   - each 'crash' event (a request crash the thread contained) goes to `hooks.onCrash`;
 *   - each 'signed-in' event goes to `hooks.onSignedIn` (the host relays it: `relaySignIn`);
 *   - the thread's end (any exit, expected or not) goes to `hooks.onExit` once.
 * The events channel also ends when the thread ends (its port closes), so the read loop below
 * always finishes.
 */
import { Worker } from 'node:worker_threads';
import { createPortChannel, PortReceiver, PortSender } from '../channels/index.js';
import type { ServiceName } from '../config.js';
import { scrapeChannel, scrapeTransfer, type ThreadScraper } from '../metrics/collect.js';
import { workerFile } from '../worker-file.js';
// validate.ts itself, not the api's index: the host loads no handler.
import { isAccountKey } from './api/validate.js';
import { HttpFrontError, ThreadCrashError } from './common/errors.js';
import type { HttpThreadData, ThreadCommand, ThreadEvent } from './host.worker.js';

/** Room for a burst of crash and sign-in reports; more are dropped by the thread (its log keeps
 *  the crashes; a dropped sign-in's blocks elsewhere end with their window). */
const EVENT_CREDITS = 16;

/**
 * Control credits: one is always kept for 'close' (closeThread's trySend must find it), the rest
 * carry relayed sign-ins ('lift-block'). A thread handles each command at once, so a relay finds
 * no spare credit only when the thread is not reading (busy or wedged): the relay is dropped then
 * (relaySignIn), never queued or awaited, so a stuck thread cannot stall the host or the others.
 */
const CONTROL_CREDITS = 8;

export interface Thread {
  readonly index: number;
  readonly worker: Worker;
  readonly control: PortSender<ThreadCommand>;
  readonly exited: Promise<number>;
  readonly ports: Partial<Record<ServiceName, number>>;
  readonly limiterSlot: number;
  /** Asks the thread for its metrics registry (src/metrics/collect.ts). */
  readonly scraper: ThreadScraper;
  /** Set by the host before it asks the thread to close: its exit is then expected. */
  closing: boolean;
  /** Set by the host's watchdog: the thread cannot read a close command; closing abandons it. */
  wedged: boolean;
  /** Set once abandoned: it may still hold uWS handles (the process cannot exit normally). */
  abandoned: boolean;
  /** Gives up on a thread that does not exit (wedged): stops reading its events and unrefs it,
   *  so that nothing of it keeps the process alive. Never terminate(): see closeThread. */
  abandon(): void;
}

export interface ThreadHooks {
  onCrash(report: { method?: string; url?: string; message: string }): void;
  /** `accountKey` as the thread sent it: not checked yet (relaySignIn does). */
  onSignedIn(thread: Thread, accountKey: unknown): void;
  onExit(thread: Thread, code: number): void;
}

export function spawnThread(
  data: Omit<HttpThreadData, 'events' | 'control' | 'scrape'>,
  hooks: ThreadHooks,
): Promise<Thread> {
  const entry = workerFile(import.meta.url, './host.worker');
  const ev = createPortChannel(EVENT_CREDITS);
  const ctl = createPortChannel(CONTROL_CREDITS);
  const scrape = scrapeChannel();
  const workerData: HttpThreadData = {
    ...data,
    events: ev.sendEnd,
    control: ctl.recvEnd,
    scrape: scrape.thread,
  };
  const worker = new Worker(entry.url, {
    execArgv: entry.execArgv,
    workerData,
    transferList: [ev.sendEnd.port, ctl.recvEnd.port, ...scrapeTransfer(scrape.thread)],
  });
  const events = new PortReceiver<ThreadEvent>(ev.recvEnd);
  const control = new PortSender<ThreadCommand>(ctl.sendEnd);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  // A thread's own uncaught errors end it with 'error' then 'exit'; 'exit' decides.
  worker.on('error', () => {});

  // A read waiting on the events channel keeps its port ref'd (the channels' P3): abandon()
  // aborts it, or a wedged thread would hold the process open for good.
  const stopReading = new AbortController();
  const abandon = () => {
    if (thread) thread.abandoned = true;
    stopReading.abort();
    worker.unref();
  };
  let thread: Thread | undefined;

  return new Promise<Thread>((resolve, reject) => {
    let failure: Error | undefined;
    void (async () => {
      for (;;) {
        const r = await events.recv(stopReading.signal).catch(() => undefined);
        if (!r?.ok) break;
        const e = r.value;
        if (e.type === 'ready') {
          thread = {
            index: data.index,
            worker,
            control,
            exited,
            ports: e.ports,
            limiterSlot: e.limiterSlot,
            scraper: scrape.main,
            closing: false,
            wedged: false,
            abandoned: false,
            abandon,
          };
          resolve(thread);
        } else if (e.type === 'failed') failure = new HttpFrontError(e.code, e.message);
        else if (e.type === 'crash') hooks.onCrash(e);
        else if (e.type === 'signed-in' && thread) hooks.onSignedIn(thread, e.accountKey);
      }
    })();
    exited.then((code) => {
      if (thread) hooks.onExit(thread, code);
      else
        reject(failure ?? new ThreadCrashError(data.index, `exited with ${code} while starting`));
    });
  });
}

/**
 * Tells every thread but `from` to lift `accountKey`'s in-memory sign-in block. Best effort and
 * never waiting: threads closing, wedged or abandoned are skipped (they serve no more sign-ins, or
 * cannot read); one with no spare credit (all but the one kept for 'close' in flight: it is not
 * reading) or whose channel already closed (it is ending) is skipped too.
 *
 * The key comes from a thread, so it is not trusted: one that is not an account key the api makes
 * (isAccountKey: its shape and length) is relayed to nobody, and false is returned (the host logs
 * it), so a buggy or compromised thread cannot make the host broadcast arbitrary data.
 */
export function relaySignIn(threads: Iterable<Thread>, from: Thread, accountKey: unknown): boolean {
  if (!isAccountKey(accountKey)) return false;
  for (const t of threads) {
    if (t === from || t.closing || t.wedged || t.abandoned) continue;
    if (t.control.length >= t.control.capacity - 1) continue;
    try {
      t.control.trySend({ type: 'lift-block', accountKey });
    } catch {
      // SendOnClosedError: the thread's port closed (it ended; its 'exit' is on its way).
    }
  }
  return true;
}
