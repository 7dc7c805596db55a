/**
 * The S3 blob store against a real S3 server (SeaweedFS from tools/s3-dev, signed requests):
 * the shared BlobStore conformance suite, then what only S3 has — multipart uploads that stay
 * invisible until commit and leave no parts after abort, bucket creation at open, the sweep of
 * abandoned multipart uploads, and refusal of a wrong secret (SignatureDoesNotMatch).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3BlobStore, type S3BlobStoreOptions } from '../../src/store/index.js';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { describeBlobStore } from '../store/blobs.case.js';

const MIB = 1024 * 1024;
let s3: DevS3;
let admin: S3Client;
const bucket = `conf-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  s3 = await startDevS3();
  admin = s3.client();
}, 600_000); // the first run on a machine builds SeaweedFS (minutes)
afterAll(() => s3?.stop());

function options(extra: Partial<S3BlobStoreOptions> = {}): S3BlobStoreOptions {
  return {
    bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...extra,
  };
}

async function uploadsUnder(prefix: string, b = bucket): Promise<string[]> {
  const out = await admin.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: prefix }));
  return (out.Uploads ?? []).map((u) => `${u.Key} (upload ${u.UploadId})`);
}

async function keysUnder(prefix: string, b = bucket): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

// Each store gets its own prefix in the shared bucket: tests never see each other's objects.
let lastPrefix = '';
describeBlobStore('s3 (SeaweedFS, signed)', {
  async open(o) {
    lastPrefix = `t-${randomUUID()}/`;
    const blobs = await S3BlobStore.open(
      options({ prefix: lastPrefix, maxBytes: o?.maxBytes, listPageSize: o?.listPageSize }),
    );
    return { blobs, cleanup: async () => {} };
  },
  leftovers: () => uploadsUnder(lastPrefix),
});

describe('S3BlobStore specifics', () => {
  it('creates a missing bucket at open, and opening again is fine', async () => {
    const fresh = `new-${randomBytes(4).toString('hex')}`;
    await expect(admin.send(new HeadBucketCommand({ Bucket: fresh }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const a = await S3BlobStore.open(options({ bucket: fresh }));
    const b = await S3BlobStore.open(options({ bucket: fresh }));
    await a.close();
    await b.close();
    await admin.send(new HeadBucketCommand({ Bucket: fresh }));
  });

  it('a multipart upload is invisible until commit and reads back byte-exact', async () => {
    const prefix = `mp-${randomUUID()}/`;
    const blobs = await S3BlobStore.open(options({ prefix, partSize: 5 * MIB }));
    try {
      const id = randomUUID();
      const data = randomBytes(12 * MIB + 12_345); // three parts
      const w = await blobs.createWriter(id, { contentType: 'video/mp4' });
      for (let off = 0; off < data.length; off += 256 * 1024)
        await w.write(data.subarray(off, off + 256 * 1024));
      // The first part is full by now, so a multipart upload is started (asynchronously: wait
      // for the server to list it); no object exists yet.
      await vi.waitFor(async () => expect(await uploadsUnder(prefix)).toHaveLength(1), {
        timeout: 15_000,
        interval: 50,
      });
      expect(await blobs.stat(id)).toBeUndefined();
      expect(await keysUnder(prefix)).toEqual([]);
      const info = await w.commit();
      expect(info.size).toBe(data.length);
      expect(await uploadsUnder(prefix)).toEqual([]);
      expect(await keysUnder(prefix)).toEqual([`${prefix}${id}`]);
      const [s, e] = [5 * MIB - 3, 10 * MIB + 7]; // across part boundaries
      expect(
        (await collect(blobs.read(id, { start: s, end: e }))).equals(data.subarray(s, e + 1)),
      ).toBe(true);
      expect((await collect(blobs.read(id))).equals(data)).toBe(true);
    } finally {
      await blobs.close();
    }
  });

  it('abort in the middle of a multipart upload leaves no object and no parts', async () => {
    const prefix = `ab-${randomUUID()}/`;
    const blobs = await S3BlobStore.open(options({ prefix, partSize: 5 * MIB }));
    try {
      const id = randomUUID();
      const w = await blobs.createWriter(id, { contentType: 'video/mp4' });
      for (let i = 0; i < 11; i++) await w.write(randomBytes(MIB));
      // A write resolves once the writer has the bytes; the part it filled goes out on its own
      // (CreateMultipartUpload, then UploadPart), so wait for the upload to exist on the server.
      await vi.waitFor(async () => expect(await uploadsUnder(prefix)).toHaveLength(1), {
        timeout: 15_000,
        interval: 50,
      });
      await w.abort();
      expect(await uploadsUnder(prefix)).toEqual([]);
      expect(await keysUnder(prefix)).toEqual([]);
      expect(await blobs.stat(id)).toBeUndefined();
    } finally {
      await blobs.close();
    }
  });

  it('open aborts multipart uploads older than staleUploadMs (a crashed node’s), not others', async () => {
    const prefix = `st-${randomUUID()}/`;
    const key = `${prefix}${randomUUID()}`;
    const { UploadId } = await admin.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    await admin.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: randomBytes(1024),
      }),
    );
    const young = await S3BlobStore.open(options({ prefix })); // default: 24 h
    await young.close();
    expect(await uploadsUnder(prefix)).toHaveLength(1);
    const sweeper = await S3BlobStore.open(options({ prefix, staleUploadMs: 0 }));
    await sweeper.close();
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('a wrong secret is refused by the server (SignatureDoesNotMatch), named in the error', async () => {
    const wrong = options({
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: `${s3.secretAccessKey}x` },
    });
    const err = await S3BlobStore.open(wrong).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(String((err as Error).message)).toContain('SignatureDoesNotMatch');
    expect(String((err as Error).message)).not.toContain(s3.secretAccessKey);
    // And with the store skipping bucket creation, a data call reports it the same way.
    const lazy = await S3BlobStore.open({
      ...wrong,
      createBucket: false,
      staleUploadMs: Number.POSITIVE_INFINITY,
    });
    try {
      await expect(lazy.stat(randomUUID())).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
    } finally {
      await lazy.close();
    }
  });

  it('rejects bad options naming the option', async () => {
    await expect(S3BlobStore.open(options({ bucket: 'Bad_Bucket' }))).rejects.toThrow(
      /options\.bucket/,
    );
    await expect(S3BlobStore.open(options({ partSize: MIB }))).rejects.toThrow(/options\.partSize/);
    await expect(S3BlobStore.open(options({ endpoint: 'ftp://x' }))).rejects.toThrow(
      /options\.endpoint/,
    );
  });

  it('an unreachable endpoint fails open with ERR_STORE_UNAVAILABLE naming it', async () => {
    await expect(
      S3BlobStore.open(options({ endpoint: 'http://127.0.0.1:1' })),
    ).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.stringContaining('127.0.0.1:1'),
    });
  });
});
