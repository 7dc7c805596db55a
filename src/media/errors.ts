/** Errors of the media probe (registered in the one catalog, src/errors.ts). */
import { defineErrors, VideoServerError } from '../errors.js';

/** ffprobe could not read the file as a video (the message is its reason, safe to show). */
export class NotVideoError extends VideoServerError {
  constructor(reason: string) {
    super('ERR_MEDIA_NOT_VIDEO', reason);
  }
}

/** ffprobe/ffmpeg failed for another reason (missing binary, timeout, crash). */
export class MediaToolError extends VideoServerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MEDIA_TOOL', message, options);
  }
}

defineErrors('media', { ERR_MEDIA_NOT_VIDEO: NotVideoError, ERR_MEDIA_TOOL: MediaToolError });
