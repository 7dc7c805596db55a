/**
 * Managing one's own videos (the list itself is server-rendered): upload (resumable, see
 * upload.js), edit title/description/visibility, delete. Every success clears an earlier error
 * banner. A 401 means the session ended: back to the sign-in page, which says why.
 */
import { api, showAlert } from './api.js';
import { forgetAttempt, previousAttempt, sendFile } from './upload.js';

const $ = (id) => document.getElementById(id);
const me = { name: document.body.dataset.userName, id: document.body.dataset.userId };
const base = `/user/${encodeURIComponent(me.name)}`;
const pageError = $('page-error');

function fail(err) {
  if (err?.status === 401) {
    location.assign('/login?expired=1&next=%2Fuserhome');
    return;
  }
  showAlert(pageError, err?.message ?? String(err));
}

// ---- edit and delete ------------------------------------------------------------------------

for (const form of document.querySelectorAll('.edit-form')) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const body = {
      name: String(data.get('name') ?? '').trim(),
      description: String(data.get('description') ?? ''),
      visibility: String(data.get('visibility') ?? 'public'),
    };
    if (!body.name) return showAlert(pageError, 'A video needs a title.');
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    api(`${base}/videos/${form.dataset.vid}`, 'PATCH', body)
      .then((video) => {
        const row = form.closest('.video-item');
        row.querySelector('.name').textContent = video.name;
        row.querySelector('[data-delete]').setAttribute('aria-label', `Delete ${video.name}`);
        const badge = row.querySelector('.when .badge');
        badge.className = `badge badge-${video.visibility}`;
        badge.textContent = video.visibility[0].toUpperCase() + video.visibility.slice(1);
        form.closest('details').open = false;
        showAlert(pageError, `Saved “${video.name}”.`, true);
      })
      .catch(fail)
      .finally(() => {
        button.disabled = false;
      });
  });
}

function updateCount() {
  const n = document.querySelectorAll('.video-item').length;
  $('video-count').textContent = String(n);
  $('video-empty').hidden = n > 0;
}

/** First click arms the button, a second within 3 s deletes. */
for (const button of document.querySelectorAll('[data-delete]')) {
  button.addEventListener('click', () => {
    if (!button.classList.contains('is-armed')) {
      button.classList.add('is-armed');
      button.textContent = 'Confirm';
      setTimeout(() => {
        button.classList.remove('is-armed');
        button.textContent = 'Delete';
      }, 3000);
      return;
    }
    button.disabled = true;
    api(`${base}/videos/${button.dataset.delete}`, 'DELETE')
      .then(() => {
        button.closest('.video-item').remove();
        updateCount();
        showAlert(pageError, 'Deleted.', true);
      })
      .catch((err) => {
        button.disabled = false;
        fail(err);
      });
  });
}

// ---- upload ---------------------------------------------------------------------------------

const status = $('upload-status');
let current; // the upload in flight: {vid, cancel, resumable, cancelled}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
function setProgress(sent, total) {
  const pct = total > 0 ? Math.floor((sent / total) * 100) : 0;
  $('upload-progress').hidden = false;
  $('upload-bar').style.width = `${pct}%`;
  $('upload-bar').setAttribute('aria-valuenow', String(pct));
  $('upload-percent').textContent = `${pct}%`;
  status.textContent = `${mb(sent)} of ${mb(total)} sent`;
}

function busy(on) {
  $('upload-submit').disabled = on;
  $('upload-cancel').hidden = !on;
  $('upload-file').disabled = on;
}

$('upload-file').addEventListener('change', () => {
  const file = $('upload-file').files[0];
  if (file && !$('upload-name').value) $('upload-name').value = file.name.replace(/\.[^.]+$/, '');
});

$('upload-cancel').addEventListener('click', async () => {
  const up = current;
  if (!up?.cancel) return;
  up.cancelled = true;
  await up.cancel();
  // The record has no file: remove it so no list shows a video that cannot play.
  await api(`${base}/videos/${up.vid}`, 'DELETE').catch(() => {});
  busy(false);
  $('upload-progress').hidden = true;
  status.textContent = 'Upload cancelled.';
});

$('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('upload-file').files[0];
  const name = $('upload-name').value.trim();
  if (!file) return showAlert(pageError, 'Choose a video file.');
  if (!name) return showAlert(pageError, 'Give the video a title.');
  showAlert(pageError, '');
  busy(true);
  setProgress(0, file.size);
  status.textContent = 'Starting…';
  let prev;
  const attempt = { cancelled: false };
  current = attempt;
  try {
    prev = await previousAttempt(file);
    let vid = prev?.metadata.video_id;
    if (!vid) {
      const video = await api(`${base}/videos`, 'POST', {
        author_id: me.id,
        name,
        description: $('upload-description').value,
        visibility: $('upload-visibility').value,
      });
      vid = video.id;
    } else status.textContent = 'Resuming your earlier upload of this file…';
    const up = sendFile(
      vid,
      file,
      {
        progress: setProgress,
        resumedAt: (offset) => {
          if (offset > 0) status.textContent = `Resuming from ${mb(offset)}…`;
        },
      },
      prev,
    );
    Object.assign(attempt, up, { vid });
    try {
      await up.done;
    } catch (err) {
      // A web front without tus (no `/files/` route): the same file goes as one multipart POST.
      if (prev || attempt.cancelled || (err.status !== 404 && err.status !== 405)) throw err;
      const fallback = sendFile(vid, file, { progress: setProgress, resumedAt() {} }, prev, true);
      Object.assign(attempt, fallback);
      await fallback.done;
    }
    current = undefined;
    setProgress(file.size, file.size);
    status.textContent = 'Upload complete.';
    location.assign(`/userhome?uploaded=${vid}`);
  } catch (err) {
    if (attempt.cancelled) return;
    busy(false);
    if (err.status === 401) return fail(err);
    // Without resumable uploads the record has no file and never will: remove it.
    if (attempt.vid && !attempt.resumable) {
      api(`${base}/videos/${attempt.vid}`, 'DELETE').catch(() => {});
    }
    // A refused resume (record deleted, not ours) starts fresh next time.
    if (prev && err.status >= 400 && err.status < 500) await forgetAttempt(prev);
    const hint = attempt.resumable
      ? ' Press Upload again (with the same file) to continue where it stopped.'
      : '';
    showAlert(pageError, `${err.message}${hint}`);
  }
});
