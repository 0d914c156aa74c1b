// docs/api.md is the project's own external reference: its endpoint tables and the OpenAPI
// documents list the same operations, and no page of the project sends a reader outside it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listOperations, readDocument } from './documents.js';
import { listReferenceEndpoints, readReferenceEndpoints } from './api-reference.js';
import { REPOSITORY } from '../support/system.js';

describe('docs/api.md', () => {
  for (const name of ['qsen', 'kan'] as const) {
    it(`lists exactly the operations of openapi/${name}.yaml`, () => {
      const documented = listOperations(readDocument(name)).map((op) => `${op.method} ${op.path}`).sort();
      assert.deepEqual(readReferenceEndpoints()[name], documented);
    });
  }

  it('reads methods and every backquoted path of a table row, without query strings', () => {
    const rows = [
      '| method | path | answer |',
      '|---|---|---|',
      '| GET, POST | `/kan/v1/restart_kan?node=N` | 202 |',
      '| GET | `/a/metrics/golang` and `/a/metrics/process` | text |',
      '| not a method | `/nope` | x |',
    ].join('\n');
    assert.deepEqual(listReferenceEndpoints(rows), [
      'GET /a/metrics/golang', 'GET /a/metrics/process', 'GET /kan/v1/restart_kan', 'POST /kan/v1/restart_kan',
    ]);
  });

  it('is the reference every page points to: no README or docs page sends the reader outside the repository', () => {
    const pages = ['README.md', ...readdirSync(join(REPOSITORY, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const outside = pages.filter((page) => /\.\.\/shared|CONTRACT\.md|CONTRACT sections? \d/.test(readFileSync(join(REPOSITORY, page), 'utf8')));
    assert.deepEqual(outside, []);
  });

  it('is linked from the README, every docs page and systemd/README.md', () => {
    const pages = ['README.md', ...readdirSync(join(REPOSITORY, 'docs')).filter((f) => f.endsWith('.md') && f !== 'api.md').map((f) => join('docs', f)), join('systemd', 'README.md')];
    const unlinked = pages.filter((page) => !/\]\((?:docs\/|\.\.\/docs\/)?api\.md[)#]/.test(readFileSync(join(REPOSITORY, page), 'utf8')));
    assert.deepEqual(unlinked, []);
  });
});
