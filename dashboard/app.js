// The dashboard's shell: sign-in with the admin key, the hash routes (`#/overview`,
// `#/features`, `#/accounts`, `#/campaigns`, `#/users`, `#/user/<id>`, each with the `as_of` and
// `write_key` filters in its query), the language switch, and focus after a navigation. Pages
// (pages/*.js) fetch their answers in `load` and build their content in `render`, so that a
// change of language redraws a page without asking the collector again.

import { ApiError, metrics, session } from './api.js';
import { destroyCharts } from './charts.js';
import { h, scrollRegions } from './dom.js';
import { formats, initialLanguage, rememberLanguage, translator } from './i18n.js';
import overview from './pages/overview.js';
import features from './pages/features.js';
import accounts from './pages/accounts.js';
import campaigns from './pages/campaigns.js';
import users from './pages/users.js';
import user from './pages/user.js';

const PAGES = { overview, features, accounts, campaigns, users, user };
/** The filters every page keeps in its query. */
const GLOBAL_FILTERS = ['as_of', 'write_key'];

const main = document.getElementById('main');
const nav = document.getElementById('pages');
const filters = document.getElementById('filters');
const signOut = document.getElementById('sign-out');
const languageSelect = document.getElementById('language');

let language = initialLanguage();
let t = translator(language);
let fmt = formats(language, t);
/** The route and answers on screen, redrawn as they are when the language changes. */
let shown = null;
let renderCount = 0;
/** What gets the focus after the next render: a selector in the page, or its heading. */
let pendingFocus = null;

function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const mark = hash.indexOf('?');
  const path = mark < 0 ? hash : hash.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : hash.slice(mark + 1));
  const parts = path.split('/').filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  const page = parts[0] in PAGES && (parts[0] !== 'user' || parts[1]) ? parts[0] : 'overview';
  return { page, id: page === 'user' ? parts[1] : null, params };
}

/** A route as a hash: `#/page[/id][?query]`, the global filters of `from` kept unless `params` set them. */
function routeHash(page, { id = null, params = {}, from = parseRoute() } = {}) {
  const query = new URLSearchParams();
  for (const name of GLOBAL_FILTERS) {
    const value = name in params ? params[name] : from.params.get(name);
    if (value) query.set(name, value);
  }
  for (const [name, value] of Object.entries(params)) {
    if (!GLOBAL_FILTERS.includes(name) && value !== null && value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}${text ? `?${text}` : ''}`;
}

function context(route) {
  const filterValues = Object.fromEntries(GLOBAL_FILTERS.map((name) => [name, route.params.get(name) || '']));
  return {
    t,
    fmt,
    language,
    route,
    filters: filterValues,
    /** The API parameters of this page: the global filters and `extra`. */
    query: (extra = {}) => ({ ...filterValues, ...extra }),
    href: (page, options = {}) => routeHash(page, { ...options, from: route }),
    /** Goes to `hash`; `focus` is the selector of what gets the focus there. */
    go(hash, { focus } = {}) {
      pendingFocus = focus || null;
      if (location.hash === hash) render();
      else location.hash = hash;
    },
  };
}

function translateShell() {
  document.documentElement.lang = language;
  languageSelect.value = language;
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll('[data-i18n-label]')) element.setAttribute('aria-label', t(element.dataset.i18nLabel));
}

function showShell(signedIn) {
  nav.hidden = !signedIn;
  filters.hidden = !signedIn;
  signOut.hidden = !signedIn;
}

function updateShell(route) {
  for (const link of nav.querySelectorAll('a[data-page]')) {
    link.href = routeHash(link.dataset.page, { from: route });
    const current = link.dataset.page === route.page || (route.page === 'user' && link.dataset.page === 'users');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  filters.elements.as_of.value = route.params.get('as_of') || '';
  filters.elements.write_key.value = route.params.get('write_key') || '';
}

function focusAfterRender(pageChanged) {
  const wanted = pendingFocus;
  pendingFocus = null;
  const target = (wanted && main.querySelector(wanted)) || (wanted || pageChanged ? main.querySelector('h1') : null);
  target?.focus();
}

function updateScrollRegions() {
  scrollRegions(main);
}

function draw(route, data, pageChanged) {
  destroyCharts();
  const page = PAGES[route.page];
  const ctx = context(route);
  main.replaceChildren(...page.render(ctx, data).flat().filter(Boolean));
  main.removeAttribute('aria-busy');
  // Which route the content is of (tests wait for it to be the address's).
  main.dataset.route = location.hash;
  document.title = `${page.title(ctx, data)} · ${t('app')}`;
  shown = { route, data };
  updateScrollRegions();
  focusAfterRender(pageChanged);
}

async function render() {
  const count = ++renderCount;
  if (!session.key()) {
    showSignIn();
    return;
  }
  showShell(true);
  const route = parseRoute();
  // The first page after a load keeps the focus where the browser put it (the skip link first).
  const pageChanged = shown ? shown.route.page !== route.page || shown.route.id !== route.id : count > 1;
  updateShell(route);
  const page = PAGES[route.page];
  main.setAttribute('aria-busy', 'true');
  if (pageChanged) {
    destroyCharts();
    main.replaceChildren(h('h1', { tabindex: '-1' }, page.title(context(route), null)), h('p', { class: 'loading' }, t('loading')));
    if (shown) main.querySelector('h1').focus();
  }
  let data;
  try {
    data = await page.load(context(route));
  } catch (error) {
    if (count !== renderCount) return;
    if (error instanceof ApiError && error.status === 401) {
      session.forget();
      shown = null;
      showSignIn({ alert: t('signIn.again', { message: error.message }) });
      return;
    }
    destroyCharts();
    shown = null;
    main.removeAttribute('aria-busy');
    main.replaceChildren(
      h('h1', { tabindex: '-1' }, page.title(context(route), null)),
      h('p', { class: 'error', role: 'alert' }, t('failed', { message: error.message })),
      h('button', { type: 'button', onclick: () => render() }, t('retry')),
    );
    return;
  }
  if (count !== renderCount) return;
  draw(route, data, pageChanged);
}

function showSignIn({ alert = '', status = '' } = {}) {
  destroyCharts();
  shown = null;
  showShell(false);
  main.removeAttribute('aria-busy');
  document.title = `${t('signIn.title')} · ${t('app')}`;
  const error = h('p', { id: 'sign-in-error', class: 'error', role: 'alert' }, alert);
  const note = h('p', { id: 'sign-in-status', role: 'status' }, status);
  // No `name`: were the form ever submitted the browser's way, the key would not be in a URL.
  const input = h('input', {
    type: 'password', id: 'admin-key', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'sign-in-lead sign-in-error',
  });
  const button = h('button', { type: 'submit' }, t('signIn.submit'));
  const form = h('form', {
    class: 'sign-in',
    async onsubmit(event) {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        input.focus();
        return;
      }
      button.disabled = true;
      error.textContent = '';
      note.textContent = t('signIn.checking');
      try {
        await metrics('users', { limit: 1 }, key);
      } catch (refusal) {
        button.disabled = false;
        note.textContent = '';
        error.textContent = t('signIn.refused', { message: refusal.message });
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        input.select();
        return;
      }
      session.keep(key);
      input.value = '';
      pendingFocus = 'h1';
      render();
    },
  },
  h('label', { for: 'admin-key' }, t('signIn.key')),
  input,
  button);
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, t('signIn.title')),
    h('p', { class: 'lead', id: 'sign-in-lead' }, t('signIn.lead')),
    form, error, note,
  );
  if (alert || status) main.querySelector('h1').focus();
}

filters.addEventListener('submit', (event) => {
  event.preventDefault();
  const route = parseRoute();
  const params = Object.fromEntries([...route.params].filter(([name]) => name !== 'offset'));
  params.as_of = filters.elements.as_of.value;
  params.write_key = filters.elements.write_key.value.trim();
  pendingFocus = null;
  const hash = routeHash(route.page, { id: route.id, params, from: route });
  if (location.hash === hash) render();
  else location.hash = hash;
});

signOut.addEventListener('click', () => {
  session.forget();
  showSignIn({ status: t('signIn.signedOut') });
});

languageSelect.addEventListener('change', () => {
  language = languageSelect.value;
  rememberLanguage(language);
  t = translator(language);
  fmt = formats(language, t);
  translateShell();
  if (!session.key()) {
    showSignIn();
    languageSelect.focus();
  } else if (shown) {
    draw(shown.route, shown.data, false);
  } else {
    render();
  }
});

window.addEventListener('hashchange', () => render());
window.addEventListener('resize', updateScrollRegions);

document.getElementById('skip-link').addEventListener('click', (event) => {
  // The hash is the route: the skip link moves the focus without changing it.
  event.preventDefault();
  main.focus();
});

translateShell();
render();
