/**
 * User page: list videos → select the first → play it and load its comments; upload (create the
 * record, then POST the file with a progress bar); delete → reload the list; log out.
 */
import { api, showAlert } from './api.js';

const $ = (id) => document.getElementById(id);
const me = { name: document.body.dataset.userName, id: document.body.dataset.userId };
const base = `/user/${encodeURIComponent(me.name)}`;
const state = { videos: [], selected: undefined };

const pageError = $('page-error');
const player = $('player');

/** Every failure ends up here: 401 means the session is gone, anything else is shown. */
function fail(err) {
  if (err?.status === 401) {
    location.assign('/');
    return;
  }
  showAlert(pageError, err?.message ?? String(err));
}

function when(item) {
  return item.ctime ? new Date(item.ctime).toLocaleString() : item.display_ctime;
}

// ---- videos ---------------------------------------------------------------------------------

function renderList() {
  const list = $('video-list');
  list.replaceChildren();
  for (const v of state.videos) {
    const li = document.createElement('li');
    li.className = 'video-item';
    li.dataset.vid = v.id;
    li.classList.toggle('is-selected', v.id === state.selected?.id);
    li.innerHTML =
      '<span class="thumb" aria-hidden="true">▶</span><div class="info"><div class="name"></div><div class="when"></div></div>';
    li.querySelector('.name').textContent = v.name;
    li.querySelector('.when').textContent = when(v);
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'btn btn-danger';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete ${v.name}`);
    del.addEventListener('click', (e) => {
      e.stopPropagation();
      armOrDelete(del, v);
    });
    li.append(del);
    li.addEventListener('click', () => select(v));
    list.append(li);
  }
  $('video-count').textContent = String(state.videos.length);
  $('video-empty').hidden = state.videos.length > 0;
}

async function loadVideos(preferId) {
  const { videos } = await api(`${base}/videos`, 'GET');
  state.videos = videos;
  const keep = videos.find((v) => v.id === (preferId ?? state.selected?.id));
  await select(keep ?? videos[0]);
}

async function select(video) {
  state.selected = video;
  renderList();
  $('player-empty').hidden = Boolean(video);
  player.hidden = !video;
  $('player-meta').hidden = !video;
  $('comments').hidden = !video;
  if (!video) {
    player.removeAttribute('src');
    player.load();
    $('video-title').innerHTML = '&nbsp;';
    $('video-ctime').textContent = '';
    return;
  }
  const src = `/videos/${video.id}`;
  if (player.getAttribute('src') !== src) {
    player.src = src;
    player.load();
  }
  $('video-title').textContent = video.name;
  $('video-ctime').textContent = `Uploaded at ${when(video)}`;
  await loadComments();
}

/** First click arms the button, a second within 3 s deletes. */
function armOrDelete(button, video) {
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
  api(`${base}/videos/${video.id}`, 'DELETE')
    .then(() => {
      if (state.selected?.id === video.id) state.selected = undefined;
      return loadVideos();
    })
    .catch(fail);
}

// ---- comments -------------------------------------------------------------------------------

async function loadComments() {
  const video = state.selected;
  if (!video) return;
  const { comments } = await api(`/videos/${video.id}/comments`, 'GET');
  if (state.selected?.id !== video.id) return;
  const list = $('comment-list');
  list.replaceChildren();
  for (const c of comments) {
    const li = document.createElement('li');
    li.innerHTML =
      '<div class="comment-head"><strong></strong><span class="muted"></span></div><p class="comment-body"></p>';
    li.querySelector('strong').textContent = c.author;
    li.querySelector('.muted').textContent = when(c);
    li.querySelector('.comment-body').textContent = c.content;
    list.append(li);
  }
  $('comment-count').textContent = String(comments.length);
}

$('comment-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('comment-text');
  const content = text.value.trim();
  if (!content || !state.selected) return;
  const button = e.target.querySelector('button');
  button.disabled = true;
  api(`/videos/${state.selected.id}/comments`, 'POST', { author_id: me.id, content })
    .then(() => {
      text.value = '';
      return loadComments();
    })
    .catch(fail)
    .finally(() => {
      button.disabled = false;
    });
});

// ---- upload ---------------------------------------------------------------------------------

const dialog = $('upload-dialog');
const uploadError = $('upload-error');
let uploading;

function setProgress(pct) {
  $('upload-progress').hidden = false;
  $('upload-bar').style.width = `${pct}%`;
  $('upload-bar').setAttribute('aria-valuenow', String(pct));
  $('upload-percent').textContent = `${pct}%`;
}

/** POSTs the file with XMLHttpRequest, the one browser API that reports upload progress. */
function sendFile(vid, file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    uploading = xhr;
    xhr.open('POST', `/upload/${vid}`);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) setProgress(Math.round((e.loaded / e.total) * 100));
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = `Upload failed (${xhr.status}).`;
      try {
        message = JSON.parse(xhr.responseText).error ?? message;
      } catch {
        if (xhr.responseText) message = xhr.responseText;
      }
      reject(Object.assign(new Error(message), { status: xhr.status }));
    });
    xhr.addEventListener('error', () => reject(new Error('The upload was interrupted.')));
    xhr.addEventListener('abort', () => reject(new Error('Upload cancelled.')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

function openUpload() {
  $('upload-form').reset();
  $('upload-progress').hidden = true;
  setProgress(0);
  $('upload-progress').hidden = true;
  showAlert(uploadError, '');
  $('upload-submit').disabled = false;
  dialog.showModal();
}
$('upload-open').addEventListener('click', openUpload);
$('upload-cta').addEventListener('click', openUpload);

$('upload-file').addEventListener('change', () => {
  const file = $('upload-file').files[0];
  if (file && !$('upload-name').value) $('upload-name').value = file.name.replace(/\.[^.]+$/, '');
});

$('upload-cancel').addEventListener('click', () => {
  uploading?.abort();
  dialog.close();
});

$('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('upload-file').files[0];
  const name = $('upload-name').value.trim();
  if (!file) return showAlert(uploadError, 'Choose a video file.');
  if (!name) return showAlert(uploadError, 'Give the video a name.');
  showAlert(uploadError, '');
  $('upload-submit').disabled = true;
  setProgress(0);
  let video;
  try {
    video = await api(`${base}/videos`, 'POST', { author_id: me.id, name });
    await sendFile(video.id, file);
    setProgress(100);
    showAlert(uploadError, 'Uploaded.', true);
    dialog.close();
    await loadVideos(video.id);
  } catch (err) {
    if (err.status === 401) return fail(err);
    // The record has no file: remove it so the list does not show a video that cannot play.
    if (video) api(`${base}/videos/${video.id}`, 'DELETE').catch(() => {});
    showAlert(uploadError, err.message);
    $('upload-submit').disabled = false;
  } finally {
    uploading = undefined;
  }
});

// ---- session --------------------------------------------------------------------------------

$('logout').addEventListener('click', () => {
  api(`${base}/sessions`, 'DELETE')
    .catch(() => {})
    .finally(() => location.assign('/'));
});

loadVideos().catch(fail);
