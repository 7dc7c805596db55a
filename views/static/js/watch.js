/**
 * Watch page: copy the page's link; post a comment and refresh the list. When the session has
 * expired the typed comment stays in the box (and in sessionStorage, so it survives signing in
 * again and coming back) and the page says why the visitor was signed out.
 */
import { api, showAlert } from './api.js';

const $ = (id) => document.getElementById(id);
const vid = document.querySelector('.watch').dataset.vid;
const me = { name: document.body.dataset.userName, id: document.body.dataset.userId };
const draftKey = `comment-draft:${vid}`;
const errorBox = $('comment-error');

$('copy-link').addEventListener('click', async () => {
  const url = new URL($('copy-link').dataset.url, location.origin).href;
  try {
    await navigator.clipboard.writeText(url);
    $('copy-status').textContent = 'Link copied';
  } catch {
    // No clipboard permission: show the link selected so the visitor can copy it.
    $('copy-status').textContent = url;
    getSelection()?.selectAllChildren($('copy-status'));
  }
});

/** The server's date filter (view-filters.ts formatDate): "Nov 30, 2026", in UTC. */
const DAY = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  timeZone: 'UTC',
});

function renderComments(comments) {
  const list = $('comment-list');
  list.replaceChildren();
  for (const c of comments) {
    const li = document.createElement('li');
    li.innerHTML =
      '<div class="comment-head"><strong></strong><span class="muted"></span></div><p class="comment-body"></p>';
    li.querySelector('strong').textContent = c.author;
    li.querySelector('.muted').textContent = DAY.format(new Date(c.ctime));
    li.querySelector('.comment-body').textContent = c.content;
    list.append(li);
  }
  $('comment-count').textContent = String(comments.length);
}

function sessionEnded() {
  const next = encodeURIComponent(location.pathname);
  errorBox.replaceChildren(
    'Your session has expired (it ends after a while without activity, and after a few days in any case), so you have been signed out. Your comment is kept: ',
  );
  const a = document.createElement('a');
  a.href = `/login?expired=1&next=${next}`;
  a.textContent = 'sign in again to post it';
  errorBox.append(a, '.');
  errorBox.classList.remove('is-ok');
  errorBox.hidden = false;
}

const form = $('comment-form');
const text = $('comment-text');
if (text) {
  const draft = sessionStorage.getItem(draftKey);
  if (draft && !text.value) text.value = draft;
  text.addEventListener('input', () => sessionStorage.setItem(draftKey, text.value));
}
form?.addEventListener('submit', (e) => {
  e.preventDefault();
  const content = text.value.trim();
  if (!content) return showAlert(errorBox, 'Write something first.');
  const button = form.querySelector('button');
  button.disabled = true;
  api(`/videos/${vid}/comments`, 'POST', { author_id: me.id, content })
    .then(() => api(`/videos/${vid}/comments`, 'GET'))
    .then(({ comments }) => {
      text.value = '';
      sessionStorage.removeItem(draftKey);
      showAlert(errorBox, '');
      renderComments(comments);
    })
    .catch((err) => {
      sessionStorage.setItem(draftKey, text.value);
      if (err.status === 401) sessionEnded();
      else showAlert(errorBox, err.message);
    })
    .finally(() => {
      button.disabled = false;
    });
});
