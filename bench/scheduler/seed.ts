/**
 * Seeding for the scheduler benchmarks: `n` videos, each a record, a 1 KiB blob and one comment,
 * written 100 at a time (untimed).
 */
import { randomUUID } from 'node:crypto';
import type { Stores } from '../../src/store/index.js';

export async function seedVideos(stores: Stores, n: number): Promise<string[]> {
  const ids: string[] = [];
  const chunk = 100;
  for (let i = 0; i < n; i += chunk) {
    const part = Array.from({ length: Math.min(chunk, n - i) }, () => randomUUID());
    await Promise.all(
      part.map(async (id) => {
        const authorId = randomUUID();
        await stores.records.createVideo({
          id,
          authorId,
          name: 'b',
          createdAt: Date.now(),
          state: 'active',
        });
        const w = await stores.blobs.createWriter(id, { contentType: 'video/mp4' });
        await w.write(Buffer.alloc(1024, 1));
        await w.commit();
        await stores.records.addComment({
          id: randomUUID(),
          videoId: id,
          authorId,
          authorName: 'bench',
          content: 'c',
          createdAt: Date.now(),
        });
      }),
    );
    ids.push(...part);
  }
  return ids;
}
