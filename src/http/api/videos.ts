/** A user's videos: create the record an upload fills, list, edit details, delete. */
import { randomUUID } from 'node:crypto';
import type { NewVideo, VideoPatch } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { activeVideoOr404 } from '../common/video.js';
import { requireAuthor, requireSelf } from './auth.js';
import { pageParams } from './browse.js';
import { recordDeletion } from './deletion.js';
import { readPage } from './paging.js';
import { videoInfo } from './present.js';
import type { ApiHandler } from './types.js';
import * as v from './validate.js';

/**
 * POST /user/:username/videos `{author_id, name, description?, visibility?}` → 201 VideoInfo
 * (not ready, so not listed, until an upload completes).
 */
export const createVideo: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const body = call.json();
  requireAuthor(session, body.author_id);
  const video: NewVideo = {
    id: randomUUID(),
    authorId: session.userId,
    name: v.text(body, 'name', v.LIMITS.videoName),
    createdAt: Date.now(),
    state: 'active',
  };
  if (body.description !== undefined) {
    video.description = v.text(body, 'description', v.LIMITS.description);
  }
  if (body.visibility !== undefined) video.visibility = v.visibility(body);
  await call.ctx.records.createVideo(video);
  const created = await call.ctx.records.getVideo(video.id);
  if (!created) throw new HttpError('dbFailed');
  return { status: 201, value: videoInfo(created, session.userName) };
};

/**
 * GET /user/:username/videos?cursor=&limit= → `{videos: [VideoInfo], next}`, newest first, never
 * null; at most `limit` (default and maximum 100) per page, `next` null on the last (paging.ts).
 */
export const listVideos: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const params = pageParams(call);
  const page = await readPage(() => call.ctx.records.pageVideosByAuthor(session.userId, params));
  const videos = page.items.map((x) => videoInfo(x, session.userName));
  return { status: 200, value: { videos, next: page.next ?? null } };
};

/** PATCH /user/:username/videos/:vid `{name?, description?, visibility?}` → VideoInfo (owner). */
export const updateVideo: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const vid = v.uuidParam(call.params.vid!, 'video id');
  const body = call.json();
  const patch: VideoPatch = {};
  if (body.name !== undefined) patch.name = v.text(body, 'name', v.LIMITS.videoName);
  if (body.description !== undefined) {
    patch.description = v.text(body, 'description', v.LIMITS.description);
  }
  if (body.visibility !== undefined) patch.visibility = v.visibility(body);
  const video = await call.ctx.records.getVideo(vid);
  if (video?.state !== 'active') throw new HttpError('notFound', 'Video not found');
  if (video.authorId !== session.userId) throw new HttpError('forbidden', 'Not your video');
  const updated = await call.ctx.records.updateVideo(vid, patch);
  if (!updated) throw new HttpError('notFound', 'Video not found');
  return { status: 200, value: videoInfo(updated, session.userName) };
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
  const video = await activeVideoOr404(call.ctx.records, vid);
  if (video.authorId !== session.userId) throw new HttpError('forbidden', 'Not your video');
  await recordDeletion(call.ctx, vid);
  await call.ctx.records.markVideoDeleting(vid);
  return { status: 204 };
};
