/**
 * Connecting to MongoDB: one small pool per thread, fail fast with a message that names the
 * hosts but never the credentials, and a mapping from driver errors to StoreError codes.
 */
import { type Db, MongoClient, MongoServerError } from 'mongodb';
import { DuplicateError, StoreError, StoreUnavailableError } from './errors.js';

export interface MongoConnectOptions {
  /** Connections per thread; each worker thread opens its own client. @default 5 */
  maxPoolSize?: number;
  /** How long start-up waits for a reachable server before failing. @default 5000 */
  serverSelectionTimeoutMS?: number;
  /** Database used when the URI names none. @default 'video-server' */
  defaultDbName?: string;
}

export const MONGO_CONNECT_DEFAULTS = Object.freeze({
  maxPoolSize: 5,
  serverSelectionTimeoutMS: 5000,
  defaultDbName: 'video-server',
});

/** `host:port[,host:port]` of a MongoDB URI, without user, password or options. */
export function describeMongoUri(uri: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(uri);
  return m?.[1] ? m[1] : '(unparsable MongoDB URI)';
}

/** The database named in the URI path, if any. */
export function dbNameFromUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(uri);
  const name = m?.[1] ? decodeURIComponent(m[1]) : '';
  return name === '' ? undefined : name;
}

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  /** `host:port` list for messages. */
  where: string;
}

/** Connects and pings; rejects with ERR_STORE_UNAVAILABLE naming the hosts (never the password). */
export async function connectMongo(
  uri: string,
  options: MongoConnectOptions = {},
): Promise<MongoConnection> {
  const o = { ...MONGO_CONNECT_DEFAULTS, ...options };
  if (!Number.isInteger(o.maxPoolSize) || o.maxPoolSize < 1) {
    throw new StoreError('ERR_INVALID_ARGUMENT', 'options.maxPoolSize must be a positive integer');
  }
  const where = describeMongoUri(uri);
  let client: MongoClient;
  try {
    client = new MongoClient(uri, {
      maxPoolSize: o.maxPoolSize,
      serverSelectionTimeoutMS: o.serverSelectionTimeoutMS,
      // Our writes are idempotent or fenced, and FerretDB does not support retryable writes.
      retryWrites: false,
    });
  } catch (cause) {
    // The driver's parse errors may quote the URI; ours does not.
    throw new StoreUnavailableError(`invalid MongoDB URI for ${where}: ${redact(cause, uri)}`);
  }
  try {
    await client.connect();
    const db = client.db(dbNameFromUri(uri) ?? o.defaultDbName);
    await db.command({ ping: 1 });
    return { client, db, where };
  } catch (cause) {
    await client.close().catch(() => {});
    throw new StoreUnavailableError(
      `MongoDB at ${where} is unreachable (waited ${o.serverSelectionTimeoutMS} ms): ${redact(cause, uri)}`,
    );
  }
}

/** The cause's message with the URI (and so any password) removed. */
function redact(cause: unknown, uri: string): string {
  const msg = cause instanceof Error ? cause.message : String(cause);
  const pwd = /^mongodb(?:\+srv)?:\/\/[^:@/]*:([^@/]*)@/.exec(uri)?.[1];
  let out = msg.split(uri).join('<uri>');
  if (pwd) {
    out = out.split(pwd).join('***');
    out = out.split(decodeURIComponent(pwd)).join('***');
  }
  return out;
}

/** Maps a driver error to a StoreError; E11000 on `what` becomes ERR_DUPLICATE. */
export function mongoError(cause: unknown, where: string, what = 'record'): StoreError {
  if (cause instanceof StoreError) return cause;
  if (cause instanceof MongoServerError && cause.code === 11000) {
    return new DuplicateError(what, { cause });
  }
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(`MongoDB at ${where} failed: ${msg}`, { cause });
}
