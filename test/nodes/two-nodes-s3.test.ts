/** The two-node deployment with blobs in S3 (SeaweedFS from tools/s3-dev, signed requests). */
import { randomBytes } from 'node:crypto';
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { startDevS3 } from '../setup/s3-dev-server.js';
import { describeTwoNodes } from './two-nodes.case.js';

describeTwoNodes('S3 (SeaweedFS)', async () => {
  const s3 = await startDevS3();
  const bucket = `nodes-${randomBytes(4).toString('hex')}`;
  const client = s3.client();
  return {
    env: s3.env(bucket), // the nodes create the bucket at start-up
    tusAcrossNodes: true,
    async tusLeftovers() {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (out.Contents ?? [])
        .map((o) => o.Key ?? '')
        .filter((k) => !/^(videos|posters)\//.test(k));
    },
    async objects(vid) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `videos/${vid}` }));
        return 1;
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
          return 0;
        throw e;
      }
    },
    async uploading(vid) {
      const out = await client.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `videos/${vid}` }),
      );
      return (out.Uploads ?? []).length > 0;
    },
    stop: () => s3.stop(),
  };
});
