/**
 * openStores picks the adapters from the configuration, creates MongoDB indexes at start-up,
 * fails fast on an unreachable MongoDB naming the host but never the password; errors cross
 * threads as {code, message}.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { rebuildError, serializeError } from '../../src/errors.js';
import {
  DuplicateError,
  describeMongoUri,
  FsBlobStore,
  GridFsBlobStore,
  LmdbRecordStore,
  MongoRecordStore,
  openStores,
  StoreError,
} from '../../src/store/index.js';
import { dropMongoTestDb, mongoTestUri } from '../helpers/mongo.js';

const dataDir = await mkdtemp(join(tmpdir(), 'open-stores-'));
const made: string[] = [];
afterAll(async () => {
  for (const uri of made) await dropMongoTestDb(uri);
  await rm(dataDir, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('openStores', () => {
  it('without MONGODB_URI: LMDB records and files under DATA_DIR', async () => {
    const s = await openStores({ dataDir, mongodbUri: undefined, blobStore: 'fs' });
    expect(s.records).toBeInstanceOf(LmdbRecordStore);
    expect(s.blobs).toBeInstanceOf(FsBlobStore);
    const id = randomUUID();
    await s.records.createUser({ id, name: 'eve', pwdHash: 'h', createdAt: 1 });
    const w = await s.blobs.createWriter(id, { contentType: 'video/mp4' });
    await w.write(Buffer.from('x'));
    await w.commit();
    await Promise.all([s.close(), s.close()]);
    // Reopened from the same directory: the data is there.
    const again = await openStores({ dataDir, mongodbUri: undefined, blobStore: 'fs' });
    expect((await again.records.getUserByName('eve'))?.id).toBe(id);
    expect((await again.blobs.stat(id))?.size).toBe(1);
    await again.close();
  });

  it('with a MongoDB URI and gridfs: MongoDB records, GridFS blobs, indexes created', async () => {
    const uri = useMongoTestDbNow();
    const s = await openStores({
      dataDir,
      mongodbUri: uri,
      blobStore: 'gridfs',
      maxUploadBytes: 4,
    });
    try {
      expect(s.records).toBeInstanceOf(MongoRecordStore);
      expect(s.blobs).toBeInstanceOf(GridFsBlobStore);
      const w = await s.blobs.createWriter(randomUUID(), { contentType: 'video/mp4' });
      await expect(w.write(Buffer.alloc(5))).rejects.toMatchObject({ code: 'ERR_BLOB_TOO_LARGE' });
      const client = await new MongoClient(uri).connect();
      try {
        const idx = async (c: string) =>
          (await client.db().collection(c).indexes()).map((i) => i.name);
        const users = await client.db().collection('users').indexes();
        expect(users.find((i) => i.name === 'name_unique')).toMatchObject({
          unique: true,
          key: { name: 1 },
        });
        expect(await idx('videos')).toContain('author_time');
        expect(await idx('comments')).toContain('video_time');
        expect(await idx('sessions')).toContain('expiresAt');
        expect(await idx('video_del_rec')).toEqual(
          expect.arrayContaining(['state_time', 'state_notBefore_lease']),
        );
      } finally {
        await client.close();
      }
    } finally {
      await s.close();
    }
  });

  it('with a MongoDB URI and fs: MongoDB records, files under DATA_DIR', async () => {
    const s = await openStores({ dataDir, mongodbUri: useMongoTestDbNow(), blobStore: 'fs' });
    expect(s.records).toBeInstanceOf(MongoRecordStore);
    expect(s.blobs).toBeInstanceOf(FsBlobStore);
    await s.close();
  });

  it('gridfs without MongoDB is a coded error', async () => {
    await expect(
      openStores({ dataDir, mongodbUri: undefined, blobStore: 'gridfs' }),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('an unreachable MongoDB fails fast, naming host:port but never the password', async () => {
    const port = await closedPort();
    const uri = `mongodb://admin:s3cr%40t-pw@127.0.0.1:${port}/vs?authSource=admin`;
    const err = await openStores(
      { dataDir, mongodbUri: uri, blobStore: 'fs' },
      { serverSelectionTimeoutMS: 300 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    const msg = (err as Error).message;
    expect(msg).toContain(`127.0.0.1:${port}`);
    expect(msg).not.toMatch(/s3cr|admin:/);
  });

  it('describes URIs without credentials', () => {
    expect(describeMongoUri('mongodb://u:p@h1:1,h2:2/db?x=1')).toBe('h1:1,h2:2');
    expect(describeMongoUri('mongodb+srv://cluster.example.net/')).toBe('cluster.example.net');
  });

  it('errors cross threads as {code, message} and come back as their class', () => {
    const e = rebuildError(structuredClone(serializeError(new DuplicateError('user "x"'))));
    expect(e).toBeInstanceOf(DuplicateError);
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: 'ERR_DUPLICATE', message: 'user "x" already exists' });
  });
});

/** A fresh database, dropped after the file; throws (fails the test) without a MongoDB. */
function useMongoTestDbNow(): string {
  const uri = mongoTestUri('open');
  made.push(uri);
  return uri;
}
