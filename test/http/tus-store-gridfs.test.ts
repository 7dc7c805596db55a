/** The tus store case (tus-store.case.ts) on MongoDB (tus.uploads, tus.chunks), one database per stack. */
import { MongoClient } from 'mongodb';
import { afterAll } from 'vitest';
import { dropMongoTestDb, mongoTestUri } from '../helpers/mongo.js';
import type { Stack } from './stack.js';
import { startStack } from './stack.js';
import { describeTusActiveExpiry } from './tus-expiry.case.js';
import { describeTusResume } from './tus-resume.case.js';
import { describeTusStore, type TusStoreTarget } from './tus-store.case.js';

const uris = new Map<Stack, string>();
afterAll(async () => {
  for (const uri of uris.values()) await dropMongoTestDb(uri);
});

const target: TusStoreTarget = {
  async start(config) {
    const uri = mongoTestUri('tus');
    const s = await startStack({ mongodbUri: uri, blobStore: 'gridfs', config });
    uris.set(s, uri);
    return s;
  },
  async stored(s) {
    const client = await new MongoClient(uris.get(s) as string).connect();
    try {
      const db = client.db();
      const out: string[] = [];
      for (const c of ['tus.uploads', 'tus.chunks']) {
        for (const d of await db
          .collection(c)
          .find({}, { projection: { _id: 1 } })
          .toArray())
          out.push(`${c}:${String(d._id)}`);
      }
      return out.sort();
    } finally {
      await client.close();
    }
  },
};

describeTusStore('gridfs (MongoDB)', target);
describeTusResume('gridfs (MongoDB)', { ...target, leased: false });
describeTusActiveExpiry('gridfs (MongoDB)', { ...target, leased: false });
