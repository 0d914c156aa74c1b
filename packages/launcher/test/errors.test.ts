import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launcherErrors } from '../src/errors.js';

describe('launcher error registry', () => {
  it('has upper-snake-case codes, each documented in docs/local-mode.md', () => {
    const doc = readFileSync(new URL('../../../../docs/local-mode.md', import.meta.url), 'utf8');
    for (const [code, spec] of Object.entries(launcherErrors.specs)) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(spec.status >= 400 && spec.status < 600);
      assert.ok(doc.includes(`\`${code}\``), `${code} is documented`);
    }
  });
});
