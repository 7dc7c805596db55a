/**
 * A user's storage usage: the bytes of the blobs of their active videos (issue 10, item 4). Read
 * when an upload starts (the quota check) and by `GET /user/:name`.
 *
 * Not a reservation: two uploads of one user that start together may together pass the quota by
 * at most one upload's size — bounded by MAX_UPLOAD_BYTES, accepted for not keeping a counter
 * that can drift from the files.
 */
import type { BlobStore, RecordStore } from '../../store/types.js';

export interface Usage {
  usageBytes: number;
  quotaBytes: number;
}

/** Sum of the user's blob sizes, without `exceptVideo` (an upload replaces that one's bytes). */
export async function usageOf(
  records: RecordStore,
  blobs: BlobStore,
  userId: string,
  exceptVideo?: string,
): Promise<number> {
  const videos = await records.listVideosByAuthor(userId);
  const sizes = await Promise.all(
    videos
      .filter((v) => v.id !== exceptVideo)
      .map(async (v) => (await blobs.stat(v.id))?.size ?? 0),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
