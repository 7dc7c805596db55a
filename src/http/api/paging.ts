/**
 * Paged owner lists (a user's videos, a video's comments): the same query parameters and page
 * size rules as the public lists (`?cursor=&limit=`, default and maximum 100, browse.ts), the
 * list under its old key plus `next` (the opaque cursor of the following page, null on the last).
 */
import type { Page } from '../../store/types.js';
import { HttpError } from '../common/errors.js';

/** Runs a store read; a cursor the store did not hand out is a 400, not a 500. */
export async function readPage<T>(read: () => Promise<Page<T>>): Promise<Page<T>> {
  try {
    return await read();
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_INVALID_ARGUMENT') {
      throw new HttpError('badRequest', 'cursor is not valid; start again without it');
    }
    throw err;
  }
}
