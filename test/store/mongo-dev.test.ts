/**
 * The conformance suites against the dev server (FerretDB v1.24, SQLite), started by the global
 * setup. FerretDB's findAndModify is not atomic, so concurrent-claim exclusivity is not asserted
 * here (the test title says so); it is asserted on LMDB and on a real mongod
 * (mongo-explicit.test.ts, with MONGODB_URI). This file always targets the dev server.
 */
import { describeMongoTargets } from './mongo-targets.js';

describeMongoTargets('mongodb (dev server: FerretDB)', false, 'dev');
