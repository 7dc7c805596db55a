/** The bad re-upload case (upload-replace.case.ts) on GridFS in the test MongoDB. */
import { useMongoTestDb } from '../helpers/mongo.js';
import { startStack } from './stack.js';
import { describeReplace } from './upload-replace.case.js';

const uri = useMongoTestDb('replace');
describeReplace('gridfs', () => startStack({ mongodbUri: uri, blobStore: 'gridfs' }));
