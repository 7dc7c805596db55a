/** A user's videos: create the record an upload fills, list, delete. */
import { randomUUID } from 'node:crypto';
import type { Video } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { requireAuthor, requireSelf } from './auth.js';
import { recordDeletion } from './deletion.js';
import { videoInfo } from './present.js';
import type { ApiHandler } from './types.js';
import * as v from './validate.js';

/** POST /user/:username/videos `{author_id, name}` → 201 VideoInfo. */
export const createVideo: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const body = call.json();
  requireAuthor(session, body.author_id);
  const name = v.text(body, 'name', v.LIMITS.videoName);
  const video: Video = {
    id: randomUUID(),
    authorId: session.userId,
    name,
    createdAt: Date.now(),
    state: 'active',
  };
  await call.ctx.records.createVideo(video);
  return { status: 201, value: videoInfo(video) };
};

/** GET /user/:username/videos → `{videos: [VideoInfo]}`, newest first, never null. */
export const listVideos: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const videos = await call.ctx.records.listVideosByAuthor(session.userId);
  return { status: 200, value: { videos: videos.map(videoInfo) } };
};

/**
 * DELETE /user/:username/videos/:vid → 204. The deletion is recorded with the scheduler first
 * and the video hidden second: if hiding fails the scheduler still removes it, whereas the other
 * order could leave a hidden video that nothing ever deletes.
 */
export const deleteVideo: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const vid = v.uuidParam(call.params.vid!, 'video id');
  const video = await call.ctx.records.getVideo(vid);
  if (video?.state !== 'active') throw new HttpError('notFound', 'Video not found');
  if (video.authorId !== session.userId) throw new HttpError('forbidden', 'Not your video');
  await recordDeletion(call.ctx, vid);
  await call.ctx.records.markVideoDeleting(vid);
  return { status: 204 };
};
