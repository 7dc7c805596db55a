/**
 * The conformance suites against the MongoDB named by MONGODB_URI, asserting concurrent-claim
 * exclusivity (a real mongod's findAndModify is atomic per document).
 *
 * Without MONGODB_URI there is no second server to test; what this file checks then is the fact
 * the rest of the run relies on: every "default" MongoDB test really targets the dev server that
 * the global setup started, and that server answers (a misconfigured setup fails here, loudly).
 */
import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { describeMongoTargets } from './mongo-targets.js';

if (inject('mongoUriExplicit')) {
  describeMongoTargets('mongodb (MONGODB_URI)', true, 'default');
} else {
  describe('mongodb (no MONGODB_URI)', () => {
    it('the default MongoDB of this run is the dev server, and it answers a ping', async () => {
      const dev = inject('mongoDevUri');
      expect(dev).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
      expect(inject('mongoUri')).toBe(dev);
      const client = await new MongoClient(dev, { serverSelectionTimeoutMS: 10_000 }).connect();
      try {
        expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
      } finally {
        await client.close();
      }
    });
  });
}
