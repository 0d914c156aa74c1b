// The cluster files are durable, not only atomic: after the rename (replaceFile) or the link
// (writeNewFile) the folder itself is fsynced, or a power cut may bring back the old name or no
// name at all. Watched with strace on a real process writing real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, requireTool, traceFsyncs } from '@qsen/testkit';

const files = new URL('../src/cluster/files.js', import.meta.url).href;

test('replaceFile and writeNewFile fsync the file, then its folder after the rename or link', (t) => {
  const strace = requireTool('strace');
  if (typeof strace !== 'string') return t.skip(strace.skip);
  const tmp = makeTempDir('pki-durable-');
  try {
    const replaced = join(tmp.path, 'crl.pem');
    const created = join(tmp.path, 'new.pem');
    const syncs = traceFsyncs(strace, `
      import { replaceFile, writeNewFile } from ${JSON.stringify(files)};
      replaceFile(${JSON.stringify(replaced)}, 'one', 0o644);
      replaceFile(${JSON.stringify(replaced)}, 'two', 0o644);
      writeNewFile(${JSON.stringify(created)}, 'new', 0o600);
    `);
    assert.equal(readFileSync(replaced, 'utf8'), 'two');
    assert.ok(existsSync(created));
    const folderSyncs = syncs.filter((s) => s.path === tmp.path).length;
    const fileSyncs = syncs.filter((s) => s.path.startsWith(`${tmp.path}/.`) && s.path.endsWith('.tmp')).length;
    assert.equal(fileSyncs, 3, `each temporary file synced before it takes its name: ${JSON.stringify(syncs)}`);
    assert.equal(folderSyncs, 3, `the folder synced after each rename or link: ${JSON.stringify(syncs)}`);
    // Order: the file's data before the folder's entry, for each write.
    const kinds = syncs.filter((s) => s.path.startsWith(tmp.path)).map((s) => (s.path === tmp.path ? 'dir' : 'file'));
    assert.deepEqual(kinds, ['file', 'dir', 'file', 'dir', 'file', 'dir']);
  } finally {
    tmp.remove();
  }
});
