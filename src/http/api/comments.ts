/** Comments on a video: any signed-in user may read and write them. */
import { randomUUID } from 'node:crypto';
import type { Comment } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { requireAuthor } from './auth.js';
import { commentInfo } from './present.js';
import type { ApiCall, ApiHandler } from './types.js';
import * as v from './validate.js';

async function activeVideo(call: ApiCall): Promise<string> {
  const vid = v.uuidParam(call.params.vid!, 'video id');
  const video = await call.ctx.records.getVideo(vid);
  if (video?.state !== 'active') throw new HttpError('notFound', 'Video not found');
  return vid;
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

/** GET /videos/:vid/comments → `{comments: [Comment]}`, newest first. */
export const listComments: ApiHandler = async (call) => {
  await call.session();
  const vid = await activeVideo(call);
  const comments = await call.ctx.records.listComments(vid);
  return { status: 200, value: { comments: comments.map(commentInfo) } };
};
