import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { makeTempDir, ManualClock } from '@qsen/testkit';
import {
  AUDIT_GENESIS, auditFileName, createAuditLog, hashLine, queryAuditTrail,
  verifyAuditTrail, type AuditEntry,
} from '../src/index.js';

const temps: Array<{ remove: () => void }> = [];
function tempDir(): string {
  const dir = makeTempDir('qsen-audit-');
  temps.push(dir);
  return dir.path;
}
after(() => {
  for (const t of temps) t.remove();
});

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-02T13:00:00.000Z');
const entry = (n: number): AuditEntry => ({ action: 'sendOrder', subject: `CN=p${n},OU=platform`, outcome: 'accepted', requestId: `r-${n}`, details: { orderId: `99990000000000${String(n).padStart(5, '0')}` } });
const linesOf = (dir: string, name: string): string[] => readFileSync(join(dir, name), 'utf8').split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
const verify = (dir: string, nowMs: number, retentionDays = 400) => verifyAuditTrail(dir, { retentionDays, nowMs });

describe('audit trail: the hash chain', () => {
  test('each line carries the SHA-256 of the previous one; the first starts from the genesis', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const audit = createAuditLog({ dir, chain: 'qsen', clock });
    for (let i = 0; i < 5; i++) audit.record(entry(i));
    await audit.close();
    const lines = linesOf(dir, 'audit-qsen-2026-11-02.log');
    assert.equal(lines.length, 5);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(parsed[0]?.['prev'], AUDIT_GENESIS);
    assert.equal(parsed[0]?.['prevFile'], null);
    for (let i = 1; i < 5; i++) {
      assert.equal(parsed[i]?.['prev'], hashLine(lines[i - 1] ?? ''));
      assert.ok(!('prevFile' in (parsed[i] ?? {})));
    }
    const report = await verify(dir, T0);
    assert.equal(report.ok, true);
    assert.equal(report.chains[0]?.lines, 5);
    assert.deepEqual(report.chains[0]?.head, { file: 'audit-qsen-2026-11-02.log', line: 5, hash: hashLine(lines[4] ?? '') });
  });

  test("a new day's file starts from the last hash of the day before and names that file", async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const audit = createAuditLog({ dir, chain: 'kan0', clock });
    audit.record(entry(1));
    clock.set(T0 + DAY);
    audit.record(entry(2));
    await audit.close();
    const day1 = linesOf(dir, 'audit-kan0-2026-11-02.log');
    const first = JSON.parse(linesOf(dir, 'audit-kan0-2026-11-03.log')[0] ?? '') as Record<string, unknown>;
    assert.equal(first['prev'], hashLine(day1[0] ?? ''));
    assert.equal(first['prevFile'], 'audit-kan0-2026-11-02.log');
    assert.equal((await verify(dir, T0 + DAY)).ok, true);
  });

  test('a restarted writer continues the chain from the last line of its newest file', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const first = createAuditLog({ dir, chain: 'qsen', clock });
    first.record(entry(1));
    await first.close();
    clock.set(T0 + 2 * DAY);
    const second = createAuditLog({ dir, chain: 'qsen', clock });
    second.record(entry(2));
    second.record(entry(3));
    await second.close();
    const report = await verify(dir, T0 + 2 * DAY);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.chains[0]?.lines, 3);
  });

  test('a torn last line (crash) is closed, recorded by the next line, and reported precisely', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const first = createAuditLog({ dir, chain: 'qsen', clock });
    first.record(entry(1));
    first.record(entry(2));
    await first.close();
    const name = 'audit-qsen-2026-11-02.log';
    appendFileSync(join(dir, name), '{"timestamp":"2026-11-02T13:00:00.000Z","chain":"qsen","act');
    const before = await verify(dir, T0);
    assert.equal(before.ok, true);
    assert.deepEqual(before.chains[0]?.incomplete, { file: name, line: 3, bytes: 59 });
    const second = createAuditLog({ dir, chain: 'qsen', clock });
    second.record(entry(3));
    await second.close();
    const lines = linesOf(dir, name);
    assert.equal(lines.length, 4);
    const last = JSON.parse(lines[3] ?? '') as Record<string, unknown>;
    assert.equal(last['prev'], hashLine(lines[1] ?? ''), 'the chain continues from the last complete line');
    assert.deepEqual(last['torn'], [{ bytes: 59, sha256: hashLine(lines[2] ?? '') }]);
    const after = await verify(dir, T0);
    assert.equal(after.ok, true, JSON.stringify(after));
    assert.deepEqual(after.chains[0]?.torn, [{ file: name, line: 3, bytes: 59 }]);
    assert.equal(after.chains[0]?.incomplete, null);
    // Removing the torn line afterwards is an edit, and is found.
    writeFileSync(join(dir, name), `${[lines[0], lines[1], lines[3]].join('\n')}\n`);
    const edited = await verify(dir, T0);
    assert.equal(edited.chains[0]?.firstBreak?.kind, 'torn_mismatch');
    assert.equal(edited.chains[0]?.firstBreak?.line, 3);
  });

  test('concurrent requests: lines stay ordered and the chain correct', async () => {
    const dir = tempDir();
    const audit = createAuditLog({ dir, chain: 'qsen' });
    await Promise.all(Array.from({ length: 300 }, async (_, i) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (i % 3 === 0) await Promise.resolve();
      audit.record(entry(i));
    }));
    await audit.close();
    const report = await verifyAuditTrail(dir, { retentionDays: 400, nowMs: Date.now() });
    assert.equal(report.ok, true);
    assert.equal(report.chains[0]?.lines, 300);
  });

  test('two writers of one chain taking turns (qsen-admin run twice) keep one correct chain', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const a = createAuditLog({ dir, chain: 'qsen-admin', clock });
    const b = createAuditLog({ dir, chain: 'qsen-admin', clock });
    // Uneven turns: a writer also follows its own lines (no false alarm of a cut file).
    for (let i = 0; i < 20; i++) (i % 3 === 0 ? b : a).record(entry(i));
    await a.close();
    await b.close();
    const report = await verify(dir, T0);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.chains[0]?.lines, 20);
  });

  test('lines cut off the end of the file while the writer runs: the next line keeps the chain from the removed line, so verify shows the break (also when the file grew again after the cut)', async () => {
    for (const regrow of [false, true]) {
      const dir = tempDir();
      const clock = new ManualClock(T0);
      const audit = createAuditLog({ dir, chain: 'qsen', clock });
      for (let i = 0; i < 5; i++) audit.record(entry(i));
      const name = auditFileName('qsen', '2026-11-02');
      const original = linesOf(dir, name);
      const kept = original.slice(0, 3).map((l) => `${l}\n`).join('');
      // The audited party removes its last two lines (and, in the second round, appends a line of its own making).
      writeFileSync(join(dir, name), regrow ? `${kept}${original[4]}\n${'x'.repeat(900)}\n` : kept);
      audit.record(entry(5));
      await audit.close();
      const report = await verify(dir, T0);
      assert.equal(report.ok, false, `regrow ${regrow}: the removal is visible`);
      const lines = linesOf(dir, name);
      const last = JSON.parse(lines[lines.length - 1] ?? '{}') as { prev?: string };
      assert.equal(last.prev, hashLine(original[4] ?? ''), `regrow ${regrow}: linked to the writer's own last line, which was removed`);
      assert.notEqual(last.prev, hashLine(lines[lines.length - 2] ?? ''), `regrow ${regrow}: not linked to what the file now ends with`);
    }
  });

  test('retention: day files older than audit_retention_days are deleted; the chain then starts from an expired day', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const audit = createAuditLog({ dir, chain: 'qsen', clock, retentionDays: 2 });
    for (let day = 0; day < 5; day++) {
      clock.set(T0 + day * DAY);
      audit.record(entry(day));
    }
    await audit.close();
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('audit-')).sort(), ['audit-qsen-2026-11-04.log', 'audit-qsen-2026-11-05.log', 'audit-qsen-2026-11-06.log']);
    const report = await verify(dir, T0 + 4 * DAY, 2);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.deepEqual(report.chains[0]?.anchor, { file: 'audit-qsen-2026-11-04.log', genesis: false, prev: report.chains[0]?.anchor?.prev, prevFile: 'audit-qsen-2026-11-03.log' });
    // A file removed before its time is missing, not expired.
    unlinkSync(join(dir, 'audit-qsen-2026-11-04.log'));
    const removed = await verify(dir, T0 + 4 * DAY, 2);
    assert.deepEqual(removed.chains[0]?.firstBreak, { kind: 'missing_file', file: 'audit-qsen-2026-11-05.log', line: 1, expected: 'audit-qsen-2026-11-04.log', found: null });
  });

  test('a day file removed from the middle is reported by name', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const audit = createAuditLog({ dir, chain: 'qsen', clock });
    for (let day = 0; day < 3; day++) {
      clock.set(T0 + day * DAY);
      audit.record(entry(day));
    }
    await audit.close();
    unlinkSync(join(dir, 'audit-qsen-2026-11-03.log'));
    const report = await verify(dir, T0 + 2 * DAY);
    assert.equal(report.chains[0]?.firstBreak?.kind, 'prev_mismatch');
    assert.equal(report.chains[0]?.firstBreak?.file, 'audit-qsen-2026-11-04.log');
    assert.equal(report.chains[0]?.firstBreak?.line, 1);
  });
});

/** One mutation of a history, and where verify must report it. */
type Mutation = { kind: 'edit' | 'delete' | 'swap'; at: number };

describe('audit trail: property test', () => {
  test('random histories, random single-line edits, deletions and reorders: verify finds the first broken link exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ day: fc.integer({ min: 0, max: 2 }), restart: fc.boolean() }), { minLength: 3, maxLength: 25 }),
        fc.constantFrom<Mutation['kind']>('edit', 'delete', 'swap'),
        fc.nat(),
        async (steps, kind, seed) => {
          const dir = tempDir();
          try {
            const clock = new ManualClock(T0);
            let day = 0;
            let audit = createAuditLog({ dir, chain: 'qsen', clock });
            for (const [i, step] of steps.entries()) {
              day += step.day;
              clock.set(T0 + day * DAY + i * 1000);
              if (step.restart) {
                await audit.close();
                audit = createAuditLog({ dir, chain: 'qsen', clock });
              }
              audit.record(entry(i));
            }
            await audit.close();
            const nowMs = clock.now();
            assert.equal((await verify(dir, nowMs)).ok, true);
            // The whole history, in chain order, as (file, text).
            const files = readdirSync(dir).filter((n) => n.startsWith('audit-')).sort();
            const all = files.flatMap((file) => linesOf(dir, file).map((text) => ({ file, text })));
            // Mutate a line that is not the last (the last line has no successor to betray it).
            const at = seed % (all.length - 1);
            const target = all[at];
            const next = all[at + 1];
            assert.ok(target && next);
            let expectFile: string;
            let expectLine: (lines: string[]) => number;
            const rewrite = (file: string, f: (lines: string[]) => string[]) => {
              const lines = f(linesOf(dir, file));
              writeFileSync(join(dir, file), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
            };
            const indexIn = (file: string, text: string) => linesOf(dir, file).indexOf(text);
            if (kind === 'edit') {
              // An edit of a field other than the link: the next line no longer links to it.
              const edited = target.text.replace(/"outcome":"accepted"/, '"outcome":"refused"');
              const i = indexIn(target.file, target.text);
              rewrite(target.file, (lines) => lines.map((l, j) => (j === i ? edited : l)));
              expectFile = next.file;
              const nextText = next.text;
              expectLine = (lines) => lines.indexOf(nextText) + 1;
            } else if (kind === 'delete') {
              const i = indexIn(target.file, target.text);
              rewrite(target.file, (lines) => lines.filter((_, j) => j !== i));
              expectFile = next.file;
              const nextText = next.text;
              expectLine = (lines) => lines.indexOf(nextText) + 1;
              if (linesOf(dir, target.file).length === 0) unlinkSync(join(dir, target.file));
            } else {
              // Swap the line with its successor (across a file boundary, the two files trade them).
              const i = indexIn(target.file, target.text);
              const j = indexIn(next.file, next.text);
              rewrite(target.file, (lines) => lines.map((l, k) => (k === i ? next.text : l)));
              rewrite(next.file, (lines) => lines.map((l, k) => (k === j && (next.file !== target.file || k !== i) ? target.text : l)));
              expectFile = target.file;
              const moved = next.text;
              expectLine = (lines) => lines.indexOf(moved) + 1;
            }
            const report = await verify(dir, nowMs);
            const found = report.chains[0]?.firstBreak;
            assert.ok(found, `${kind} at ${at} was not found`);
            assert.equal(found.file, expectFile, JSON.stringify({ kind, at, found }));
            assert.equal(found.line, expectLine(linesOf(dir, expectFile)), JSON.stringify({ kind, at, found }));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('audit trail: query', () => {
  test('by time range, action, subject and id, in time order across chains', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const qsen = createAuditLog({ dir, chain: 'qsen', clock });
    const kan = createAuditLog({ dir, chain: 'kan1', clock });
    for (let i = 0; i < 10; i++) {
      clock.set(T0 + i * 60_000);
      if (i % 2 === 0) qsen.record(entry(i));
      else kan.record({ action: 'restart_qsen', subject: `CN=ops${i},OU=operator`, outcome: 'accepted', requestId: `r-${i}` });
    }
    await qsen.close();
    await kan.close();
    const collect = async (q: Parameters<typeof queryAuditTrail>[1]) => {
      const out: Array<Record<string, unknown>> = [];
      for await (const m of queryAuditTrail(dir, q)) out.push(m.entry);
      return out;
    };
    const all = await collect({});
    assert.deepEqual(all.map((e) => e['requestId']), Array.from({ length: 10 }, (_, i) => `r-${i}`));
    assert.deepEqual((await collect({ actions: ['restart_qsen'] })).map((e) => e['requestId']), ['r-1', 'r-3', 'r-5', 'r-7', 'r-9']);
    assert.deepEqual((await collect({ fromMs: T0 + 2 * 60_000, toMs: T0 + 5 * 60_000 })).map((e) => e['requestId']), ['r-2', 'r-3', 'r-4']);
    assert.deepEqual((await collect({ subject: 'CN=ops7' })).map((e) => e['requestId']), ['r-7']);
    assert.deepEqual((await collect({ id: '9999000000000000004' })).map((e) => e['requestId']), ['r-4']);
    assert.deepEqual((await collect({ id: 'r-6' })).map((e) => e['action']), ['sendOrder']);
    assert.equal(auditFileName('kan1', '2026-11-02'), 'audit-kan1-2026-11-02.log');
  });
});
