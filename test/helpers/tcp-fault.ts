/**
 * A loopback TCP relay in front of a real server (the dev S3 or MongoDB-wire server) whose link
 * the test can break: the network fault between a node and its storage, with both ends real.
 * - `down()` resets every open connection and every new one (ECONNRESET) until `up()`;
 * - `holdNext(match)` holds the next client message `match` accepts, and everything after it on
 *   that connection, until `release()`: a request sent but not yet seen by the server. `held`
 *   resolves once one is held, `dropped` once its client gave up on that connection (closed it);
 * - `watch(see)` shows `see` every client message as it is passed on, until the returned stop.
 *   On the MongoDB wire a message is one framed by its 4-byte
 *   little-endian length; raw, it is what one read returned (an HTTP client's request head
 *   arrives whole in practice).
 */
import { connect, createServer, type Socket } from 'node:net';

export interface FaultyLink {
  /** `127.0.0.1:<port>` of the relay. */
  host: string;
  port: number;
  down(): void;
  up(): void;
  holdNext(match: (message: Buffer) => boolean): {
    held: Promise<void>;
    /** Resolves once the client closed the connection whose message is held. */
    dropped: Promise<void>;
    release(): void;
  };
  /** Calls `see` with each client message as it is passed on to the server; returns a stop. */
  watch(see: (message: Buffer) => void): () => void;
  close(): Promise<void>;
}

/** The command name of a MongoDB OP_MSG (its first section's first key), else undefined. */
export function mongoCommand(message: Buffer): string | undefined {
  // header (16) + flagBits (4) + section kind 0 (1) + document length (4) + element type (1)
  if (message.length < 27 || message.readInt32LE(12) !== 2013 || message[20] !== 0) return;
  const end = message.indexOf(0, 26);
  return end < 0 ? undefined : message.toString('latin1', 26, end);
}

/**
 * Resolves to what `held` (a hold's `held`, or any step `run` should reach) resolves to, once it
 * does; fails at once if `run`, the work whose request should be held, ended first (its request
 * was never sent, or did not match). `held` is required: a missing one would pass at once.
 */
export async function heldBefore<T>(held: Promise<T>, run: Promise<unknown>): Promise<T> {
  const early = run.then((r) => {
    throw new Error(`ended (${JSON.stringify(r)}) before its message was held`);
  });
  early.catch(() => {});
  return Promise.race([held, early]);
}

interface Hold {
  match: (m: Buffer) => boolean;
  hit: () => void;
  gone: () => void;
  released: boolean;
  waiting: (() => void)[];
}

/** `mongo`: client messages are framed by their length; `raw`: bytes pass as they come. */
export async function faultyLink(
  targetHost: string,
  targetPort: number,
  wire: 'raw' | 'mongo',
): Promise<FaultyLink> {
  const open = new Set<Socket>();
  let broken = false;
  let hold: Hold | undefined;
  const watchers = new Set<(message: Buffer) => void>();

  /** Forwards client → server message by message, stopping at a held one until released. */
  function relayMessages(client: Socket, server: Socket) {
    let buf = Buffer.alloc(0);
    let paused: Hold | undefined;
    const next = () => {
      if (wire === 'raw') return buf.length > 0 ? buf : undefined;
      return buf.length >= 4 && buf.length >= buf.readInt32LE(0)
        ? buf.subarray(0, buf.readInt32LE(0))
        : undefined;
    };
    const pump = () => {
      for (let msg = next(); paused === undefined && msg !== undefined; msg = next()) {
        if (hold && !hold.released && hold.match(msg)) {
          paused = hold;
          hold = undefined;
          paused.waiting.push(() => {
            paused = undefined;
            pump();
          });
          client.once('close', paused.gone);
          paused.hit();
          return;
        }
        buf = buf.subarray(msg.length);
        for (const see of watchers) see(msg);
        server.write(msg);
      }
    };
    client.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      pump();
    });
  }

  const relay = createServer((client) => {
    if (broken) {
      client.resetAndDestroy();
      return;
    }
    const server = connect(targetPort, targetHost);
    open.add(client);
    open.add(server);
    const drop = () => {
      open.delete(client);
      open.delete(server);
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
    relayMessages(client, server);
    server.on('data', (d: Buffer) => client.write(d));
  });
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (relay.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    down() {
      broken = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    up() {
      broken = false;
    },
    holdNext(match) {
      let hit!: () => void;
      let gone!: () => void;
      const held = new Promise<void>((r) => {
        hit = r;
      });
      const dropped = new Promise<void>((r) => {
        gone = r;
      });
      const h: Hold = { match, hit, gone, released: false, waiting: [] };
      hold = h;
      return {
        held,
        dropped,
        release() {
          h.released = true;
          if (hold === h) hold = undefined;
          for (const w of h.waiting.splice(0)) w();
        },
      };
    },
    watch(see) {
      watchers.add(see);
      return () => watchers.delete(see);
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise((r) => relay.close(r));
    },
  };
}
