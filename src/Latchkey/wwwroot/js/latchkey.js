// Behaviour for Latchkey pages. Loaded as a module; no inline scripts anywhere.

// Token scopes: ticking a parent ticks and locks its children.
function syncScopes() {
  for (const parent of document.querySelectorAll('input[data-scope-parent]')) {
    const children = document.querySelectorAll(`input[data-scope-child-of="${CSS.escape(parent.value)}"]`);
    for (const child of children) {
      if (parent.checked) {
        child.checked = true;
        child.disabled = true;
      } else {
        child.disabled = false;
      }
    }
  }
}
document.addEventListener('change', (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.hasAttribute('data-scope-parent')) {
    if (!target.checked) {
      for (const child of document.querySelectorAll(`input[data-scope-child-of="${CSS.escape(target.value)}"]`)) {
        child.checked = false;
      }
    }
    syncScopes();
  }
});

// "Wed, Dec 23 2026", the same shape the server writes.
function formatDate(date) {
  const weekday = date.toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  const month = date.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${weekday}, ${month} ${date.getUTCDate()} ${date.getUTCFullYear()}`;
}

// Expiration: say the exact date, warn for "No expiration", show the date picker for "Custom...".
function describeExpiration() {
  const select = document.getElementById('token-expiration');
  if (!select) return;
  const note = document.getElementById('token-expiration-note');
  const warning = document.getElementById('token-expiration-warning');
  const custom = document.getElementById('token-expiration-custom');
  const value = select.value;
  warning.hidden = value !== 'none';
  custom.hidden = value !== 'custom';
  if (value === 'none') {
    note.textContent = 'The token will never expire!';
  } else if (value === 'custom') {
    note.textContent = '';
  } else {
    const days = Number(value);
    const when = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
    note.textContent = `The token will expire on ${formatDate(when)}`;
  }
}
document.addEventListener('change', (event) => {
  if (event.target instanceof HTMLSelectElement && event.target.id === 'token-expiration') describeExpiration();
});

// Confirmations for destructive buttons.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Repository deletion: the button stays disabled until the name is typed.
document.addEventListener('input', (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.dataset.confirmName !== undefined) {
    const button = document.getElementById(input.dataset.confirmButton);
    if (button) button.disabled = input.value !== input.dataset.confirmName;
  }
});

// Copy buttons say they copied.
document.addEventListener('clipboard-copy', (event) => {
  const button = event.target;
  if (button instanceof HTMLElement) {
    button.setAttribute('aria-label', 'Copied!');
    const label = button.querySelector('.copy-label');
    if (label) label.textContent = 'Copied!';
  }
});

// Fine-grained tokens: the repository picker's search box (the checkboxes work without it).
function filterRepositories() {
  const search = document.querySelector('input[data-repository-search]');
  if (!search) return;
  const query = search.value.trim().toLowerCase();
  let shown = 0;
  for (const row of document.querySelectorAll('[data-repository-row]')) {
    row.hidden = query !== '' && !row.dataset.repositoryRow.includes(query);
    if (!row.hidden) shown += 1;
  }
  const none = document.querySelector('[data-repository-no-match]');
  if (none) none.hidden = shown > 0;
}
document.addEventListener('input', (event) => {
  if (event.target instanceof HTMLInputElement && event.target.hasAttribute('data-repository-search')) filterRepositories();
});
// Enter in the search box filters; it must not submit the form.
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && event.target instanceof HTMLInputElement && event.target.hasAttribute('data-repository-search')) {
    event.preventDefault();
  }
});

// Fine-grained tokens: the Overview says what the token will be able to do, in the words
// FineGrainedForm.Overview uses on the server.
const levelLabels = { none: 'No access', read: 'Read-only', write: 'Read and write' };
function fillList(list, lines, empty) {
  list.replaceChildren(...(lines.length > 0 ? lines : [empty]).filter((line) => line !== null).map((line) => {
    const item = document.createElement('li');
    item.textContent = line;
    if (lines.length === 0) item.className = 'color-fg-muted';
    return item;
  }));
}
function describeFineGrained() {
  const overview = document.getElementById('token-overview');
  if (!overview) return;
  const access = document.querySelector('input[name="Input.RepositoryAccess"]:checked')?.value ?? null;
  // With public access only Metadata applies to repositories: the other repository rows are off.
  for (const select of document.querySelectorAll('select[data-permission-scope="repository"]:not([data-permission-mandatory])')) {
    select.disabled = access === 'public';
  }
  const picked = [...document.querySelectorAll('input[name="Input.RepositoryIds"]:checked')].map((box) => box.dataset.fullName);
  let reach;
  if (access === 'public') reach = 'Public repositories (read-only)';
  else if (access === 'all') reach = 'All repositories you own or collaborate on, now and later';
  else if (access === 'selected') {
    reach = picked.length === 0 ? 'No repository selected yet'
      : `${picked.length === 1 ? '1 repository' : `${picked.length} repositories`}: ${picked.join(', ')}`;
  } else reach = 'Choose the repository access';
  overview.querySelector('[data-overview-repositories]').textContent = reach;

  const lines = (scope) => [...document.querySelectorAll(`select[data-permission-scope="${scope}"]`)]
    .filter((select) => !select.disabled || select.hasAttribute('data-permission-mandatory'))
    .filter((select) => select.value !== 'none')
    .map((select) => `${select.dataset.permissionName}: ${levelLabels[select.value] ?? levelLabels.none}`);
  fillList(overview.querySelector('[data-overview-repository-permissions]'), lines('repository'), null);
  fillList(overview.querySelector('[data-overview-account-permissions]'), lines('account'), 'None');

  const contents = document.querySelector('select[data-permission="contents"]')?.value ?? 'none';
  let git;
  if (access === null) git = 'Choose the repository access';
  else if (access === 'public') git = 'Clone and fetch public repositories';
  else if (contents === 'write') git = 'Clone, fetch and push';
  else if (contents === 'read') git = 'Clone and fetch';
  else git = 'No access (Contents: No access)';
  overview.querySelector('[data-overview-git]').textContent = git;
}
document.addEventListener('change', (event) => {
  if (event.target instanceof Element && event.target.closest('form')?.querySelector('#token-overview')) describeFineGrained();
});

const repositorySearchBox = document.querySelector('[data-repository-search-box]');
if (repositorySearchBox) repositorySearchBox.hidden = false;

syncScopes();
describeExpiration();
describeFineGrained();
