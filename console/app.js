// The console's shell: sign-in, the hash routes, sign-out. Pages live in pages.js.

import { ApiError, api, setCsrfToken } from './api.js';
import { clear, el, say } from './ui.js';
import * as pages from './pages.js';

const main = document.getElementById('main');
let session = null;
let stopPage = null;

// "#/workflows/wf_1?x=y" → {page: 'workflows', id: 'wf_1', params: {x: 'y'}}
function parseRoute() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, ...rest] = path.split('/');
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  if (rest.length) params.id = decodeURIComponent(rest.join('/'));
  return { page: page || 'overview', params };
}

async function show() {
  if (stopPage) stopPage();
  stopPage = null;
  if (!session) return signInPage();
  const { page, params } = parseRoute();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${page}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let stop;
  try {
    if (page === 'approvals') stop = await pages.approvals(main, params, session);
    else if (page === 'exceptions') stop = await pages.exceptions(main, params);
    else if (page === 'lineage') stop = await pages.lineage(main, { key: params.id || params.key });
    else if (page === 'workflows' && params.id) stop = await pages.workflow(main, params);
    else if (page === 'workflows') stop = await pages.workflows(main, params);
    else if (page === 'audit') stop = await pages.audit(main, params);
    else if (page === 'reconciliation' && params.id) stop = await pages.reconciliation(main, params);
    else if (page === 'reconciliation') stop = await pages.reconciliations(main, params, session);
    else stop = pages.overview(main, params);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signedOut('Your session has ended; sign in again.');
    main.append(el('p', { class: 'error', role: 'alert' }, error.message));
  }
  stopPage = typeof stop === 'function' ? stop : null;
}

function signedIn(s) {
  session = s;
  setCsrfToken(s.csrf_token);
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  document.getElementById('nav-audit').hidden = s.role !== 'platform-admin';
  document.getElementById('who-name').textContent = `${s.name} (${s.role})`;
}

function signedOut(message) {
  session = null;
  setCsrfToken(null);
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  if (stopPage) stopPage();
  stopPage = null;
  signInPage(message);
}

function signInPage(message) {
  document.title = 'Sign in · Weft console';
  const key = el('input', { type: 'password', id: 'api-key', name: 'key', autocomplete: 'off', required: true, 'aria-describedby': 'key-help' });
  const error = el('p', { id: 'sign-in-error', class: 'error', role: 'alert' }, message || '');
  const form = el('form', { id: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    el('h1', { id: 'sign-in-title' }, 'Sign in'),
    el('div', { class: 'field' }, el('label', { for: 'api-key' }, 'API key'), key),
    el('p', { id: 'key-help', class: 'muted' }, 'An API key from weft keys create. It is exchanged for a session cookie; the page does not keep the key.'),
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      signedIn(await api('POST', '/console/session', { key: key.value.trim() }));
      key.value = '';
      if (!location.hash || location.hash === '#/') location.hash = '#/overview';
      else show();
      say(`Signed in as ${session.name}.`);
    } catch (e) {
      error.textContent = e.status === 401 ? 'That key is unknown or revoked.' : `Could not sign in: ${e.message}`;
      key.focus();
    }
  });
  clear(main).append(form);
  key.focus();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/console/session');
  } catch (e) {
    say(`Sign-out: ${e.message}`);
  }
  signedOut('Signed out.');
});

window.addEventListener('weft-session-ended', () => {
  if (session) signedOut('Your session has ended; sign in again.');
});

window.addEventListener('hashchange', () => {
  show();
  main.focus();
});

// A session may be running already (the cookie outlives a reload).
api('GET', '/console/session')
  .then((s) => signedIn(s))
  .catch(() => {})
  .finally(show);
