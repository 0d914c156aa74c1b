import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PkiError, pkiErrorCodes } from '../src/index.js';

describe('PkiError registry', () => {
  it('has unique upper-snake-case codes, each documented in docs/pki.md', () => {
    const codes = Object.keys(pkiErrorCodes);
    assert.equal(new Set(codes).size, codes.length);
    const docs = readFileSync(new URL('../../../../docs/pki.md', import.meta.url), 'utf8');
    for (const code of codes) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(docs.includes(`| \`${code}\` |`), `${code} is missing from the error table of docs/pki.md`);
    }
  });

  it('carries its code and cause', () => {
    const cause = new Error('inner');
    const err = new PkiError('NOT_FOUND', 'missing', { cause });
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.name, 'PkiError');
    assert.equal(err.cause, cause);
  });
});
