/**
 * Sending a file to the server: tus 1.0 resumable uploads to `/files/` with tus-js-client
 * (served from node_modules as /statics/vendor/tus.min.js, a classic script defining `tus`),
 * falling back to the multipart `POST /upload/:vid` where tus is unavailable.
 *
 * Resuming: tus-js-client remembers each upload's URL in localStorage under a fingerprint of the
 * file (name, type, size, modification time, endpoint), together with its metadata. Choosing
 * the same file again — after a network cut or a reload — finds that entry; the upload then asks
 * the server for its offset (HEAD) and continues from there, into the same video record (its id
 * is in the remembered metadata), instead of starting over.
 */

const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Pauses before each retry of a failed request (tus-js-client retries network errors, 5xx, 409
 * and 423, and starts over from the first delay once a retry made progress). They add up to
 * 44 s: after a dropped connection the server may hold the upload's lease (423 Locked) until it
 * notices the drop — at most its 10 s idle timeout — or, if the writing node died, until the
 * lease goes stale (TUS_LEASE_STALE_MS, 10 s by default, at most 30 s).
 */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 10000, 15000];

/** @returns the tus upload's remembered earlier attempt at this file, if any. */
export async function previousAttempt(file) {
  if (!globalThis.tus?.isSupported) return undefined;
  const probe = new tus.Upload(file, { endpoint: '/files/' });
  const previous = await probe.findPreviousUploads();
  return previous.find((p) => p.metadata?.video_id);
}

/** Forgets a remembered attempt (its record is gone or the server refused it). */
export function forgetAttempt(prev) {
  if (prev) return tus.defaultOptions.urlStorage.removeUpload(prev.urlStorageKey);
}

/**
 * Starts sending `file` into video `vid`. `events.progress(sent, total)`, `events.resumedAt(n)`
 * (the server's offset when an earlier attempt continues). Returns `{done, cancel}`: `done`
 * resolves when the server has every byte, rejects with an Error carrying `status`.
 */
export function sendFile(vid, file, events, prev, multipart = !globalThis.tus?.isSupported) {
  if (multipart) return sendMultipart(vid, file, events);
  let upload;
  const done = new Promise((resolve, reject) => {
    upload = new tus.Upload(file, {
      endpoint: '/files/',
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      metadata: { video_id: vid, filename: file.name, filetype: file.type || 'video/mp4' },
      onProgress: (sent, total) => events.progress(sent, total),
      onAfterResponse: (req, res) => {
        if (req.getMethod() === 'HEAD' && res.getStatus() === 200) {
          events.resumedAt(Number(res.getHeader('Upload-Offset')));
        }
      },
      onSuccess: () => resolve(),
      onError: (err) => {
        const status = err.originalResponse?.getStatus?.() ?? 0;
        let message = 'The upload was interrupted.';
        try {
          message = JSON.parse(err.originalResponse.getBody()).error ?? message;
        } catch {}
        reject(Object.assign(new Error(message), { status }));
      },
    });
    if (prev) upload.resumeFromPreviousUpload(prev);
    upload.start();
  });
  return {
    done,
    resumable: true,
    // Terminates the upload on the server too (tus DELETE), so no partial file is left behind.
    cancel: () => upload.abort(true).catch(() => {}),
  };
}

/** The multipart fallback: XMLHttpRequest, the one browser API that reports upload progress. */
function sendMultipart(vid, file, events) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', `/upload/${vid}`);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) events.progress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = `Upload failed (${xhr.status}).`;
      try {
        message = JSON.parse(xhr.responseText).error ?? message;
      } catch {}
      reject(Object.assign(new Error(message), { status: xhr.status }));
    });
    xhr.addEventListener('error', () => reject(new Error('The upload was interrupted.')));
    xhr.addEventListener('abort', () => reject(new Error('Upload cancelled.')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, resumable: false, cancel: async () => xhr.abort() };
}
