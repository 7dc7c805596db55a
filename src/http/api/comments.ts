/**
 * Comments on a video: readable by whoever may see the video (canView: anyone for public and
 * unlisted, the owner for private), writable by a signed-in user who may see it; 404 otherwise.
 */
import { randomUUID } from 'node:crypto';
import type { Comment } from '../../store/types.js';
import { requireAuthor } from './auth.js';
import { pageParams, visibleVideo } from './browse.js';
import { readPage } from './paging.js';
import { commentInfo } from './present.js';
import { throttlesOf } from './throttle.js';
import type { ApiCall, ApiHandler } from './types.js';
import * as v from './validate.js';

async function activeVideo(call: ApiCall): Promise<string> {
  return (await visibleVideo(call)).id;
}

/**
 * POST /videos/:vid/comments `{author_id, content}` → 201 with the new comment as JSON
 * (the seed answered a plain-text `ok`; ours keeps every body JSON).
 */
export const addComment: ApiHandler = async (call) => {
  const session = await call.session();
  const body = call.json();
  requireAuthor(session, body.author_id);
  const content = v.text(body, 'content', v.LIMITS.comment);
  const vid = await activeVideo(call);
  await throttlesOf(call.ctx).comment(session.userId);
  const comment: Comment = {
    id: randomUUID(),
    videoId: vid,
    authorId: session.userId,
    authorName: session.userName,
    content,
    createdAt: Date.now(),
  };
  await call.ctx.records.addComment(comment);
  return { status: 201, value: commentInfo(comment) };
};

/**
 * GET /videos/:vid/comments?cursor=&limit= → `{comments: [Comment], next}`, newest first, at most
 * `limit` (default and maximum 100) per page, `next` null on the last (paging.ts).
 */
export const listComments: ApiHandler = async (call) => {
  const params = pageParams(call);
  const vid = await activeVideo(call);
  const page = await readPage(() => call.ctx.records.pageComments(vid, params));
  return { status: 200, value: { comments: page.items.map(commentInfo), next: page.next ?? null } };
};
