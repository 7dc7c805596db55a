/** Home page: sign in or register through the relay, then go to /userhome. */
import { api, showAlert } from './api.js';

const errorBox = document.getElementById('auth-error');
const forms = {
  signin: document.getElementById('signin-form'),
  register: document.getElementById('register-form'),
};

function switchTo(which) {
  for (const [name, form] of Object.entries(forms)) form.hidden = name !== which;
  for (const tab of document.querySelectorAll('.tab')) {
    const active = tab.dataset.tab === which;
    tab.classList.toggle('is-active', active);
    tab.setAttribute('aria-selected', String(active));
  }
  showAlert(errorBox, '');
  forms[which].querySelector('input')?.focus();
}

for (const el of document.querySelectorAll('[data-tab], [data-switch]')) {
  el.addEventListener('click', (e) => {
    e.preventDefault();
    switchTo(el.dataset.tab ?? el.dataset.switch);
  });
}
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

async function submit(form, call) {
  const creds = credentials(form);
  const problem = localCheck(creds);
  if (problem) return showAlert(errorBox, problem);
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await call(creds);
    location.assign('/userhome');
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
