/**
 * The bad re-upload case (upload-replace.case.ts) on S3: the dev SeaweedFS server with signed
 * requests; the blob store and the tus store read the key from the standard AWS variables.
 */
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { startS3Stack } from './stack.js';
import { describeReplace } from './upload-replace.case.js';

let s3: DevS3 | undefined;
afterAll(() => s3?.stop());

describeReplace('s3', async () => {
  s3 = await startDevS3();
  return startS3Stack(s3, `replace-${randomBytes(4).toString('hex')}`);
});
