/** On every page for a signed-in visitor: the header's Log out button. */
import { api } from './api.js';

const button = document.getElementById('logout');
button?.addEventListener('click', () => {
  button.disabled = true;
  api(`/user/${encodeURIComponent(button.dataset.userName)}/sessions`, 'DELETE')
    .catch(() => {})
    .finally(() => location.assign('/'));
});
