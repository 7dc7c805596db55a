/**
 * Turning ffprobe's JSON (`-show_format -show_streams`) into what a video record keeps, and the
 * reason a file is refused. Pure functions: the task (probe.task.ts) runs the binary.
 */
import { NotVideoError } from './errors.js';

export interface MediaInfo {
  durationMs: number | null;
  width: number;
  height: number;
  /** Video codec first, then the other streams' codecs in file order. */
  codecs: string[];
  /** What to serve it as, from the container ffprobe recognised. */
  contentType: string;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  disposition?: { attached_pic?: number };
}
interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; tags?: { major_brand?: string } };
}

/** Containers a browser may play, by ffprobe's format name. */
function contentTypeOf(format: string, brand: string | undefined, codecs: string[]): string {
  const names = format.split(',');
  if (names.includes('mp4') || names.includes('mov')) {
    return brand?.trim() === 'qt' ? 'video/quicktime' : 'video/mp4';
  }
  if (names.includes('webm') || names.includes('matroska')) {
    const webm = codecs.every((c) => ['vp8', 'vp9', 'av1', 'opus', 'vorbis'].includes(c));
    return webm ? 'video/webm' : 'video/x-matroska';
  }
  if (names.includes('ogg')) return 'video/ogg';
  if (names.includes('mpegts')) return 'video/mp2t';
  return 'application/octet-stream';
}

function ms(seconds: string | undefined): number | null {
  const n = Number(seconds);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : null;
}

/** The media facts of a probed file; NotVideoError when it has no real video stream. */
export function parseProbe(json: string): MediaInfo {
  let out: ProbeOutput;
  try {
    out = JSON.parse(json) as ProbeOutput;
  } catch {
    throw new NotVideoError('The file could not be read as a video');
  }
  const streams = out.streams ?? [];
  // A cover picture (mp3 with art) is a "video" stream of one frame: not a video.
  const video = streams.find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0,
  );
  const format = out.format?.format_name ?? '';
  if (!video) {
    const what =
      streams.length > 0 ? `has no video stream (${format || 'unknown'})` : 'has no streams';
    throw new NotVideoError(`The file ${what}`);
  }
  const codecs = [video, ...streams.filter((s) => s !== video)]
    .map((s) => s.codec_name)
    .filter((c): c is string => typeof c === 'string' && c.length > 0 && c.length <= 64)
    .slice(0, 16);
  return {
    durationMs: ms(out.format?.duration) ?? ms(video.duration),
    width: video.width!,
    height: video.height ?? 0,
    codecs,
    contentType: contentTypeOf(format, out.format?.tags?.major_brand, codecs),
  };
}

/** ffprobe's complaint, one line, without the file path (never show server paths). */
export function probeReason(stderr: string, path: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.split(path).join('file').trim())
    .find((l) => l.length > 0);
  return line ? `Not a readable video: ${line.slice(0, 200)}` : 'Not a readable video';
}
