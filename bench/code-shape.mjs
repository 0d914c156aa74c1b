#!/usr/bin/env node
// Production code size at a git revision (docs/architecture.md, "Measures"): lines per package
// and the lines an auditor must read (qsen, kan, core, and the pki modules the nodes import,
// with the pki modules those import). Reads the committed tree, so any revision can be measured.
// Usage: node bench/code-shape.mjs [REV ...]   (default HEAD)
// Columns: files; physical lines; code lines (not blank, not only a comment).
import { execFileSync } from 'node:child_process';
import { posix } from 'node:path';

const git = (...args) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/** Physical and code lines of a TypeScript text (code: not blank and not only comment). */
export function countLines(text) {
  let physical = 0;
  let code = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    physical += 1;
    let line = raw.trim();
    let hasCode = false;
    while (line.length > 0) {
      if (inBlock) {
        const end = line.indexOf('*/');
        if (end === -1) { line = ''; break; }
        inBlock = false;
        line = line.slice(end + 2).trim();
        continue;
      }
      if (line.startsWith('//')) break;
      if (line.startsWith('/*')) { inBlock = true; line = line.slice(2); continue; }
      hasCode = true;
      break;
    }
    if (hasCode) code += 1;
  }
  if (text.endsWith('\n')) physical -= 1;
  return { physical, code };
}

function measure(rev) {
  const files = git('ls-tree', '-r', '--name-only', rev, 'packages').split('\n')
    .filter((f) => /^packages\/[^/]+\/src\/.*\.ts$/.test(f) && !f.endsWith('.d.ts'));
  const text = new Map(files.map((f) => [f, git('show', `${rev}:${f}`)]));
  const perPackage = new Map();
  for (const [file, body] of text) {
    const pkg = file.split('/')[1];
    const sum = perPackage.get(pkg) ?? { files: 0, physical: 0, code: 0 };
    const n = countLines(body);
    perPackage.set(pkg, { files: sum.files + 1, physical: sum.physical + n.physical, code: sum.code + n.code });
  }
  // The pki modules the nodes use: those defining a name core, qsen or kan import from @qsen/pki,
  // and the modules those import in turn (whole files: a module's other functions are counted too).
  const imported = new Set();
  for (const [file, body] of text) {
    if (!/^packages\/(core|qsen|kan)\//.test(file)) continue;
    for (const m of body.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'@qsen\/pki(?:\/[a-z-]+)?'/g)) {
      for (const name of m[1].split(',')) imported.add(name.replace(/\btype\b/, '').trim());
    }
  }
  const pkiFiles = [...text.keys()].filter((f) => f.startsWith('packages/pki/src/') && !f.endsWith('/index.ts'));
  const pki = new Set(pkiFiles.filter((f) => [...imported].some((name) => name && new RegExp(`export (?:async )?(?:function|const|class|interface|type) ${name}\\b`).test(text.get(f)))));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of [...pki]) {
      // Value imports only: a type-only import (`import type { Identity }`) is read where it is used.
      for (const m of text.get(f).matchAll(/^import (?!type )[^;]*?from '(\.{1,2}\/[^']+)\.js'/gm)) {
        const target = posix.normalize(posix.join(posix.dirname(f), `${m[1]}.ts`));
        if (text.has(target) && !pki.has(target)) { pki.add(target); grew = true; }
      }
    }
  }
  const auditor = { physical: 0, code: 0 };
  for (const [file, body] of text) {
    if (/^packages\/(core|qsen|kan)\//.test(file) || pki.has(file)) {
      const n = countLines(body);
      auditor.physical += n.physical;
      auditor.code += n.code;
    }
  }
  return { perPackage, pki: [...pki].sort(), auditor };
}

const revs = process.argv.slice(2);
for (const rev of revs.length > 0 ? revs : ['HEAD']) {
  const commit = git('rev-parse', '--short', rev).trim();
  const { perPackage, pki, auditor } = measure(rev);
  console.log(`revision ${rev} (${commit})`);
  console.log('package      files  physical  code');
  let total = { files: 0, physical: 0, code: 0 };
  for (const [pkg, n] of [...perPackage].sort()) {
    console.log(`${pkg.padEnd(12)} ${String(n.files).padStart(5)} ${String(n.physical).padStart(9)} ${String(n.code).padStart(5)}`);
    total = { files: total.files + n.files, physical: total.physical + n.physical, code: total.code + n.code };
  }
  console.log(`${'total'.padEnd(12)} ${String(total.files).padStart(5)} ${String(total.physical).padStart(9)} ${String(total.code).padStart(5)}`);
  console.log(`auditor (qsen + kan + core + pki modules the nodes import): physical ${auditor.physical}, code ${auditor.code}`);
  console.log(`  pki modules: ${pki.map((f) => f.replace('packages/pki/src/', '')).join(', ')}`);
  console.log('');
}
