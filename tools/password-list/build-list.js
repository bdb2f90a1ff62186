'use strict';
// Usage: node build-list.js NODE_MODULES PACKAGE VERSION OUT_FILE
// Writes one lower-cased password per line, in the source's frequency order, keeping only
// those of 8 or more characters (shorter ones fail the length rule anyway), without repeats.
const fs = require('fs');
const path = require('path');

const [modules, pkg, version, outFile] = process.argv.slice(2);
if (!modules || !pkg || !version || !outFile) {
  console.error('usage: node build-list.js NODE_MODULES PACKAGE VERSION OUT_FILE');
  process.exit(2);
}

const pkgDir = path.join(modules, pkg);
const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (manifest.version !== version) {
  throw new Error(`expected ${pkg}@${version}, got ${manifest.version}`);
}

// The package ships the list compressed; its own entry point decompresses it.
const passwords = require(pkgDir).dictionary['passwords-common'];
if (!Array.isArray(passwords) || passwords.length < 10000) {
  throw new Error(`${pkg}@${version}: no usable passwords-common dictionary`);
}

const seen = new Set();
const lines = [];
for (const entry of passwords) {
  const p = String(entry).toLowerCase();
  // Lines starting with '#' are comments to the reader; no such entry is expected.
  if (p.length < 8 || /[\r\n]/.test(p) || p.startsWith('#') || seen.has(p)) continue;
  seen.add(p);
  lines.push(p);
}

const header = `# source: ${pkg}@${version} (${manifest.license}), ${lines.length} entries`;
fs.writeFileSync(outFile, [header, ...lines].join('\n') + '\n');
console.error(`${outFile}: ${lines.length} entries from ${passwords.length}`);
