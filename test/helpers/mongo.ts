/**
 * MongoDB for tests. The global setup (test/setup/mongo.ts) provides one server per run; each
 * test file gets its own database so files running in parallel never see each other's data.
 *
 *   const uri = mongoTestUri('api');      // mongodb://127.0.0.1:PORT/api_3f9a…_1
 *   afterAll(() => dropMongoTestDb(uri)); // or: const uri = useMongoTestDb();
 *
 * When no MongoDB is available, mongoTestUri() throws the reason: a test needing MongoDB fails.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, inject } from 'vitest';

let counter = 0;
const fileTag = randomBytes(5).toString('hex');

/**
 * The server's base URI: MONGODB_URI when given, else the dev server; `'dev'` forces the dev
 * server. Throws (the test fails) when that server is unavailable.
 */
export function mongoBaseUri(server: 'default' | 'dev' = 'default'): string {
  const uri = server === 'dev' ? inject('mongoDevUri') : inject('mongoUri');
  if (!uri) throw new Error(inject('mongoUnavailable') || 'test MongoDB not provided');
  return uri;
}

/** True when the run targets a MongoDB given in MONGODB_URI (not the dev server). */
export function mongoIsExplicit(): boolean {
  return inject('mongoUriExplicit');
}

/** A URI naming a fresh, unique database (name ≤ 63 chars of [a-z0-9_]). Query options kept. */
export function mongoTestUri(label = 't', server: 'default' | 'dev' = 'default'): string {
  const base = mongoBaseUri(server);
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(base);
  if (!m) throw new Error(`cannot parse test MongoDB URI ${base}`);
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const name = `${safe}_${fileTag}_${process.pid}_${++counter}`;
  return `${m[1]}/${name}${m[2] ?? ''}`;
}

/** Drops the database named in `uri` (best effort on a server that went away). */
export async function dropMongoTestDb(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3000 });
  try {
    await client.connect();
    await client.db().dropDatabase();
  } finally {
    await client.close();
  }
}

/** mongoTestUri() plus an afterAll that drops the database. Call at file or describe scope. */
export function useMongoTestDb(label?: string, server: 'default' | 'dev' = 'default'): string {
  const uri = mongoTestUri(label, server);
  afterAll(() => dropMongoTestDb(uri));
  return uri;
}
