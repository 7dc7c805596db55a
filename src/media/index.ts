/** Media facts and posters from ffprobe/ffmpeg, run on a piscina pool. */
export { MediaToolError, NotVideoError } from './errors.js';
export type { MediaInfo } from './probe-parse.js';
export {
  MEDIA_PROBER_DEFAULTS,
  MediaProber,
  type MediaProberOptions,
  sharedMediaProber,
} from './prober.js';
