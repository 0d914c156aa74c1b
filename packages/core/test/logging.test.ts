import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, ManualClock, waitFor } from '@qsen/testkit';
import {
  REOPEN_AFTER_MS,
  closeLogger,
  createAuditLog,
  createProcessLogger,
  localDateOf,
  loggingFailureCount,
  redactSecrets,
} from '../src/index.js';

const PEM_KEY = [
  '-----BEGIN ENCRYPTED PRIVATE KEY-----',
  'MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIc2VjcmV0c2VjcmV0',
  'AgIIADAMBggqhkiG9w0CCQUAMBQGCCqGSIb3DQMHBAhzZWNyZXRzZWNyZXQ=',
  '-----END ENCRYPTED PRIVATE KEY-----',
].join('\n');

const temps: Array<{ remove: () => void }> = [];
function tempDir(): string {
  const dir = makeTempDir('qsen-logging-');
  temps.push(dir);
  return dir.path;
}
after(() => {
  for (const t of temps) t.remove();
});

function today(): string {
  // The rotator names files by the process's local date.
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return localDateOf(tz, Date.now());
}

function readLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function logFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
}

describe('logging: process logger', () => {
  test('every line is on disk, as JSON with an ISO timestamp, when closeLogger resolves', async () => {
    const dir = tempDir();
    const logger = createProcessLogger({ dir, name: 'qsen' });
    for (let i = 0; i < 500; i++) logger.info('order routed', { n: i, id: '9999000000000000001' });
    logger.debug('below the level');
    await closeLogger(logger);
    const file = join(dir, `qsen-${today()}.log`);
    const lines = readLines(file);
    assert.equal(lines.length, 500);
    assert.equal(lines[0]?.['message'], 'order routed');
    assert.equal(lines[0]?.['level'], 'info');
    assert.equal(lines[0]?.['process'], 'qsen');
    assert.equal(lines[499]?.['n'], 499);
    assert.equal(lines[0]?.['id'], '9999000000000000001');
    assert.match(String(lines[0]?.['timestamp']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('the rotation bookkeeping lives in a hidden .rotation folder, not among the logs', async () => {
    const dir = tempDir();
    const logger = createProcessLogger({ dir, name: 'kan0' });
    logger.info('up');
    await closeLogger(logger);
    assert.deepEqual(readdirSync(dir).sort(), ['.rotation', `kan0-${today()}.log`]);
    assert.ok(readdirSync(join(dir, '.rotation')).length >= 1);
  });

  test('a PEM private key and a passphrase field never reach the file', async () => {
    const dir = tempDir();
    const logger = createProcessLogger({ dir, name: 'qsen' });
    logger.info(`loaded key ${PEM_KEY}`);
    logger.info('identity', { passphrase: 'hunter2-very-secret', senebi: { key: PEM_KEY, password: 'pw-123456', privateKey: 'raw' }, note: `text ${PEM_KEY} end` });
    logger.error('decrypt failed', new Error(`bad key ${PEM_KEY}`));
    await closeLogger(logger);
    const text = readFileSync(join(dir, `qsen-${today()}.log`), 'utf8');
    for (const secret of ['PRIVATE KEY', 'MIIFHDBOBgkq', 'hunter2-very-secret', 'pw-123456', '"raw"']) {
      assert.ok(!text.includes(secret), `leaked ${secret}: ${text}`);
    }
    const lines = readLines(join(dir, `qsen-${today()}.log`));
    assert.equal(lines[0]?.['message'], 'loaded key [redacted]');
    assert.equal(lines[1]?.['passphrase'], '[redacted]');
    assert.deepEqual(lines[1]?.['senebi'], { key: '[redacted]', password: '[redacted]', privateKey: '[redacted]' });
    assert.equal(lines[1]?.['note'], 'text [redacted] end');
    assert.equal(lines.length, 3);
  });

  test('rotation by size starts a new numbered file', async () => {
    const dir = tempDir();
    const logger = createProcessLogger({ dir, name: 'kan1', maxSizeMb: 0.01 }); // about 10 KiB
    const filler = 'x'.repeat(200);
    for (let i = 0; i < 200; i++) logger.info(filler, { n: i });
    await closeLogger(logger);
    const files = logFiles(dir);
    assert.ok(files.length >= 3, `expected several files, got ${files.join(', ')}`);
    assert.ok(files.includes(`kan1-${today()}.log`));
    assert.ok(files.includes(`kan1-${today()}.1.log`));
    for (const f of files) assert.ok(statSync(join(dir, f)).size < 10_486 + 400, `${f} too large`);
    const total = files.reduce((sum, f) => sum + readLines(join(dir, f)).length, 0);
    assert.equal(total, 200);
  });

  test('closeLogger resolves only once the files rotated away from are flushed too (no line lost at exit)', async () => {
    const dir = tempDir();
    const logger = createProcessLogger({ dir, name: 'qsen', maxSizeMb: 0.05 }); // about 50 KiB a file
    const filler = 'y'.repeat(2000);
    for (let i = 0; i < 2000; i++) logger.info(filler, { n: i });
    await closeLogger(logger);
    const files = logFiles(dir);
    assert.ok(files.length >= 20, `expected many rotated files, got ${files.length}`);
    const seen = new Set<number>();
    for (const f of files) for (const line of readLines(join(dir, f))) seen.add(Number(line["n"]));
    assert.equal(seen.size, 2000, `lines on disk when closeLogger resolved: ${seen.size} of 2000`);
  });

  test('a log folder that becomes unwritable does not crash the process: failures are counted, then the file reopens', async () => {
    const dir = join(tempDir(), 'logs');
    const clock = new ManualClock(Date.now());
    const logger = createProcessLogger({ dir, name: 'qsen', maxSizeMb: 0.001, clock }); // rotates about every KiB
    const before = loggingFailureCount();
    logger.info('first line');
    // Replace the folder with a plain file: the next rotation cannot create its file.
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a folder');
    for (let i = 0; i < 40; i++) logger.info('x'.repeat(100), { n: i });
    await waitFor(() => loggingFailureCount() > before, { timeoutMs: 5000, what: 'a counted logging failure' });
    logger.info('dropped while broken');
    // The folder comes back; after the reopen delay the next line opens a fresh file.
    rmSync(dir);
    mkdirSync(dir);
    clock.advance(REOPEN_AFTER_MS);
    logger.info('after recovery');
    await closeLogger(logger);
    const lines = logFiles(dir).flatMap((f) => readLines(join(dir, f)));
    assert.ok(lines.some((l) => l['message'] === 'after recovery'), JSON.stringify(lines));
    assert.ok(!lines.some((l) => l['message'] === 'dropped while broken'));
  });

  test('closeLogger is safe to call twice', async () => {
    const dir = tempDir();
    const logger = createProcessLogger({ dir, name: 'launcher' });
    logger.warn('bye');
    await closeLogger(logger);
    await closeLogger(logger);
    assert.equal(readLines(join(dir, `launcher-${today()}.log`)).length, 1);
  });
});

describe('logging: audit log', () => {
  test('audit lines carry action, subject, outcome, request id and details', async () => {
    const dir = tempDir();
    const audit = createAuditLog({ dir, chain: 'qsen' });
    audit.record({ action: 'sendOrder', subject: 'CN=quantex,OU=platform', outcome: 'accepted', requestId: 'r-1', details: { id: '9999000000000000001' } });
    audit.record({ action: 'halt', subject: 'CN=ops,OU=operator', outcome: 'done' });
    await audit.close();
    const lines = readLines(join(dir, `audit-qsen-${new Date().toISOString().slice(0, 10)}.log`));
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.['action'], 'sendOrder');
    assert.equal(lines[0]?.['subject'], 'CN=quantex,OU=platform');
    assert.equal(lines[0]?.['outcome'], 'accepted');
    assert.equal(lines[0]?.['requestId'], 'r-1');
    assert.deepEqual(lines[0]?.['details'], { id: '9999000000000000001' });
    assert.equal(lines[1]?.['action'], 'halt');
    assert.equal(lines[1]?.['outcome'], 'done');
    assert.ok(!('requestId' in (lines[1] ?? {})));
    assert.match(String(lines[1]?.['timestamp']), /Z$/);
  });
});

describe('logging: redactSecrets', () => {
  test('returns a redacted deep copy and leaves the input untouched', () => {
    const input = { user: 'ops', passphrase: 'p', nested: [{ key: 'k', keep: 'v' }], pem: PEM_KEY, when: new Date(0) };
    const out = redactSecrets(input);
    assert.deepEqual(out, { user: 'ops', passphrase: '[redacted]', nested: [{ key: '[redacted]', keep: 'v' }], pem: '[redacted]', when: new Date(0) });
    assert.equal(input.passphrase, 'p');
    assert.equal(input.nested[0]?.key, 'k');
  });

  test('handles cycles and errors', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    const out = redactSecrets(cyclic);
    assert.equal(out['self'], out);
    const err = redactSecrets(new Error(`oops ${PEM_KEY}`)) as unknown as Record<string, unknown>;
    assert.equal(err['message'], 'oops [redacted]');
    assert.ok(!String(err['stack']).includes('PRIVATE KEY'));
  });
});
