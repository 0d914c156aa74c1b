// The error registries of every package against docs/errors.md: codes upper snake case, one
// status per code within a process, and each code documented in its package's section with the
// same status. Also finds every defineErrors registry in the sources, so a new one cannot be
// left out of this test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { httpErrors, type ErrorSpec } from '@qsen/core';
import { CTL_ERROR_CODES, EXIT_CODES } from '@qsen/ctl';
import { kanErrors } from '@qsen/kan';
import { launcherErrors } from '@qsen/launcher';
import { pkiErrorCodes } from '@qsen/pki';
import { qsenErrors } from '@qsen/qsen';
import { simulatorErrors } from '@qsen/simulator';
import { REPOSITORY } from '../support/system.js';

const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/** `docs/errors.md` as section title -> code -> the second column (status or exit code). */
function readDocumentedCodes(): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of readFileSync(join(REPOSITORY, 'docs', 'errors.md'), 'utf8').split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      current = new Map();
      sections.set(heading[1] ?? '', current);
      continue;
    }
    const row = /^\| `([A-Z0-9_]+)` \| ([0-9-]+) \|/.exec(line);
    if (row && current) {
      assert.ok(!current.has(row[1] ?? ''), `${row[1]} appears twice in one section of docs/errors.md`);
      current.set(row[1] ?? '', row[2] ?? '');
    }
  }
  return sections;
}

function section(docs: Map<string, Map<string, string>>, prefix: string): Map<string, string> {
  const found = [...docs.entries()].find(([title]) => title.startsWith(prefix));
  assert.ok(found, `docs/errors.md has a section "${prefix}..."`);
  return found[1];
}

/** Every source file that calls defineErrors, relative to the repository. */
function findRegistrySources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.ts') && /defineErrors\(\{/.test(readFileSync(full, 'utf8'))) out.push(full.slice(REPOSITORY.length));
    }
  };
  for (const pkg of readdirSync(join(REPOSITORY, 'packages'))) {
    const src = join(REPOSITORY, 'packages', pkg, 'src');
    try {
      walk(src);
    } catch {
      // a package without sources
    }
  }
  return out.sort();
}

const REGISTRIES: Array<{ name: string; source: string; section: string; specs: Readonly<Record<string, ErrorSpec>>; servedWithHttpLayer: boolean }> = [
  { name: 'core http', source: 'packages/core/src/errors/api-error.ts', section: 'HTTP layer', specs: httpErrors.specs, servedWithHttpLayer: false },
  { name: 'qsen', source: 'packages/qsen/src/errors.ts', section: 'qsen', specs: qsenErrors.specs, servedWithHttpLayer: true },
  { name: 'kan', source: 'packages/kan/src/errors.ts', section: 'kan', specs: kanErrors.specs, servedWithHttpLayer: true },
  { name: 'simulator', source: 'packages/simulator/src/errors.ts', section: 'SENEBI simulator', specs: simulatorErrors.specs, servedWithHttpLayer: true },
  { name: 'launcher', source: 'packages/launcher/src/errors.ts', section: 'Launcher control socket', specs: launcherErrors.specs, servedWithHttpLayer: false },
];

describe('error registries and docs/errors.md', () => {
  it('this test covers every defineErrors registry in the sources', () => {
    assert.deepEqual(findRegistrySources(), REGISTRIES.map((r) => r.source).sort());
  });

  it('every code is upper snake case with a real HTTP status', () => {
    for (const registry of REGISTRIES) {
      for (const [code, spec] of Object.entries(registry.specs)) {
        assert.match(code, CODE, `${registry.name}: ${code}`);
        assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, `${registry.name}: ${code} status ${spec.status}`);
        assert.ok(spec.message.length > 0, `${registry.name}: ${code} has a message`);
      }
    }
    for (const code of Object.keys(pkiErrorCodes)) assert.match(code, CODE, `pki: ${code}`);
    for (const code of Object.keys(CTL_ERROR_CODES)) assert.match(code, CODE, `ctl: ${code}`);
  });

  it('a code shared with the HTTP layer in one process has one status', () => {
    for (const registry of REGISTRIES.filter((r) => r.servedWithHttpLayer)) {
      for (const [code, spec] of Object.entries(registry.specs)) {
        const shared = httpErrors.specs[code as keyof typeof httpErrors.specs];
        if (shared) assert.equal(spec.status, shared.status, `${registry.name}: ${code} answers ${spec.status}, the HTTP layer ${shared.status}`);
      }
    }
  });

  it('each code is documented in its section with the same status', () => {
    const docs = readDocumentedCodes();
    const http = section(docs, 'HTTP layer');
    for (const registry of REGISTRIES) {
      const own = section(docs, registry.section);
      for (const [code, spec] of Object.entries(registry.specs)) {
        const documented = own.get(code) ?? (registry.servedWithHttpLayer ? http.get(code) : undefined);
        assert.equal(documented, String(spec.status), `${registry.name}: ${code} (${spec.status}) in docs/errors.md section "${registry.section}"`);
      }
      for (const code of own.keys()) assert.ok(code in registry.specs, `docs/errors.md "${registry.section}" lists ${code}, which ${registry.name} does not have`);
    }
    const pki = section(docs, 'qsen-pki');
    assert.deepEqual([...pki.keys()].sort(), Object.keys(pkiErrorCodes).sort());
    const ctl = section(docs, 'qsenctl');
    assert.deepEqual([...ctl.keys()].sort(), Object.keys(CTL_ERROR_CODES).sort());
    for (const [code, kind] of Object.entries(CTL_ERROR_CODES)) assert.equal(ctl.get(code), String(EXIT_CODES[kind]), `qsenctl ${code} exit code`);
  });
});
