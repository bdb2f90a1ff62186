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

syncScopes();
describeExpiration();
