/**
 * Sign-in page: sign in or register through the relay, then go where the visitor was heading
 * (`next`, a path on this site). The two forms are ARIA tabs: arrow keys, Home and End move
 * between them, only the selected tab is in the tab order.
 */
import { api, showAlert } from './api.js';

const errorBox = document.getElementById('auth-error');
const forms = {
  signin: document.getElementById('signin-form'),
  register: document.getElementById('register-form'),
};
const tabs = [...document.querySelectorAll('[role=tab]')];

function switchTo(which, focusTab = false) {
  for (const [name, form] of Object.entries(forms)) form.hidden = name !== which;
  for (const tab of tabs) {
    const active = tab.dataset.tab === which;
    tab.classList.toggle('is-active', active);
    tab.setAttribute('aria-selected', String(active));
    tab.tabIndex = active ? 0 : -1;
    if (active && focusTab) tab.focus();
  }
  showAlert(errorBox, '');
  if (!focusTab) forms[which].querySelector('input')?.focus();
}

for (const el of document.querySelectorAll('[data-tab], [data-switch]')) {
  el.addEventListener('click', (e) => {
    e.preventDefault();
    switchTo(el.dataset.tab ?? el.dataset.switch);
  });
}
document.querySelector('[role=tablist]').addEventListener('keydown', (e) => {
  const at = tabs.indexOf(document.activeElement);
  if (at === -1) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  switchTo(tabs[(to + tabs.length) % tabs.length].dataset.tab, true);
});
if (location.hash === '#register') switchTo('register');

function credentials(form) {
  const data = new FormData(form);
  return {
    user_name: String(data.get('user_name') ?? '').trim(),
    pwd: String(data.get('pwd') ?? ''),
  };
}

function localCheck({ user_name, pwd }) {
  if (!/^[A-Za-z0-9_-]{3,32}$/.test(user_name)) {
    return 'User name: 3–32 letters, digits, _ or -.';
  }
  if (pwd.length < 8) return 'Password: at least 8 characters.';
  return '';
}

/** Only a path on this site; the server checked it too, this keeps a tampered DOM harmless. */
function nextPath(form) {
  const next = form.dataset.next ?? '/';
  return /^\/(?![/\\])/.test(next) && next !== '/' ? next : '/userhome';
}

async function submit(form, call) {
  const creds = credentials(form);
  const problem = localCheck(creds);
  if (problem) return showAlert(errorBox, problem);
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await call(creds);
    showAlert(errorBox, '');
    location.assign(nextPath(form));
  } catch (err) {
    const message = err.status === 401 ? 'Wrong user name or password.' : err.message;
    showAlert(errorBox, message);
    button.disabled = false;
  }
}

forms.signin.addEventListener('submit', (e) => {
  e.preventDefault();
  submit(forms.signin, (c) => api(`/user/${encodeURIComponent(c.user_name)}`, 'POST', c));
});
forms.register.addEventListener('submit', (e) => {
  e.preventDefault();
  submit(forms.register, (c) => api('/user', 'POST', c));
});
