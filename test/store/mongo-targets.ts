/**
 * Registers the conformance suites against one MongoDB server (records on MongoDB, blobs on
 * GridFS), each test in its own fresh database. Used by mongo-dev.test.ts (the dev server,
 * FerretDB) and mongo-explicit.test.ts (MONGODB_URI).
 */
import { MongoClient } from 'mongodb';
import { GridFsBlobStore, MongoRecordStore } from '../../src/store/index.js';
import { dropMongoTestDb, mongoTestUri } from '../helpers/mongo.js';
import { describeBlobStore } from './blobs.case.js';
import { describeRecordStore } from './records.case.js';

export function describeMongoTargets(
  name: string,
  atomicClaims: boolean,
  server: 'default' | 'dev',
): void {
  describeRecordStore(name, {
    atomicClaims,
    async open() {
      const uri = mongoTestUri('rec', server);
      const store = await MongoRecordStore.open(uri);
      return { store, queue: store.queue, cleanup: () => dropMongoTestDb(uri) };
    },
  });

  const live = new Map<string, MongoClient>();
  describeBlobStore(`gridfs on ${name}`, {
    async open(options = {}) {
      const uri = mongoTestUri('blob', server);
      const client = await new MongoClient(uri, { maxPoolSize: 5 }).connect();
      live.set(uri, client);
      return {
        blobs: new GridFsBlobStore(client.db(), options),
        cleanup: async () => {
          live.delete(uri);
          await client.db().dropDatabase();
          await client.close();
        },
      };
    },
    /** Chunks without a files document: the trace an aborted or torn upload would leave. */
    async leftovers() {
      const out: string[] = [];
      for (const client of live.values()) {
        const db = client.db();
        const files = new Set(
          (
            await db
              .collection('videos.files')
              .find({}, { projection: { _id: 1 } })
              .toArray()
          ).map((f) => String(f._id)),
        );
        for (const c of await db
          .collection('videos.chunks')
          .find({}, { projection: { files_id: 1, n: 1 } })
          .toArray()) {
          if (!files.has(String(c.files_id))) out.push(`chunk ${String(c.files_id)}#${c.n}`);
        }
      }
      return out;
    },
  });
}
