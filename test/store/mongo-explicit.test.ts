/**
 * The conformance suites against the MongoDB named by MONGODB_URI, asserting concurrent-claim
 * exclusivity (a real mongod's findAndModify is atomic per document). Without MONGODB_URI this
 * file has nothing to test and says so in its one test's title (never a silent pass).
 */
import { describe, expect, inject, it } from 'vitest';
import { describeMongoTargets } from './mongo-targets.js';

if (inject('mongoUriExplicit')) {
  describeMongoTargets('mongodb (MONGODB_URI)', true, 'default');
} else {
  describe('mongodb (MONGODB_URI)', () => {
    it('not configured: set MONGODB_URI to run the suites against a real MongoDB', () => {
      expect(inject('mongoUriExplicit')).toBe(false);
    });
  });
}
