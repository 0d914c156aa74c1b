// Journal damage: a damaged or cut record is never silently forgotten. An order that qsen cannot
// prove was never forwarded counts as possibly forwarded (reconciled with SENEBI by id); damage
// that hides an id, or a journal shorter than its durable length, refuses to start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { toUint64, type Uint64 } from '@qsen/core';
import { makeTempDir } from '@qsen/testkit';
import { STARTUP_PROBLEMS } from '../src/errors.js';
import { durableLengthFile, encodeDurableLength, JournalCorruptError, JournalTruncatedError, openJournal } from '../src/journal/journal.js';
import { encodeRecord, type JournalRecord } from '../src/journal/records.js';
import { recoverOrderBook } from './support/book.js';
import { FINAL_STATES, UNCERTAIN_STATES, type OrderContent, type OrderState } from '../src/orders/order.js';
import { runAdmin, spawnQsen } from './support/child.js';
import { orderJson, startHarness } from './support/node.js';
import { makeTestState } from './support/state.js';

const AT = '2026-11-20T14:00:00.000Z';
const idOf = (n: number): Uint64 => toUint64(`99990000000000${String(n).padStart(5, '0')}`);
const content = (id: Uint64): OrderContent => ({ id, instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.5', currency: 'ARS', settlement: 'T1', counterparty: '210' });
const orderRecord = (n: number): JournalRecord => ({ type: 'order', id: idOf(n), order: content(idOf(n)), at: AT });
const stateRecord = (n: number, state: OrderState): JournalRecord => ({ type: 'state', id: idOf(n), state, at: AT, ...(FINAL_STATES.includes(state) ? { senebi: { id: idOf(n), status: state } } : {}) });

async function openBook(file: string) {
  const opened = await openJournal(file);
  await opened.journal.close();
  return { opened, book: recoverOrderBook(opened, AT) };
}

/** Flips one bit of the byte that holds `text` in `bytes` (first occurrence at or after `from`). */
function flipInside(bytes: Buffer, text: string, from = 0): Buffer {
  const at = bytes.indexOf(text, from);
  assert.ok(at >= 0, text);
  const out = Buffer.from(bytes);
  out[at + 1] = (out[at + 1] ?? 0) ^ 0x01;
  return out;
}

test('the order record is intact but its later state record is damaged: the order is unknown (reconciled by id), the others untouched', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const lines = [orderRecord(1), stateRecord(1, 'sent'), stateRecord(1, 'accepted'), orderRecord(2), stateRecord(2, 'sent'), stateRecord(2, 'rejected')].map(encodeRecord);
    const clean = Buffer.concat(lines);
    writeFileSync(file, flipInside(clean, 'accepted', lines[0]!.length + lines[1]!.length));
    const { opened, book } = await openBook(file);
    assert.deepEqual(opened.damaged, [{ line: 3, id: idOf(1) }]);
    assert.equal(book.get(idOf(1))?.state, 'unknown');
    assert.equal(book.get(idOf(2))?.state, 'rejected');
  } finally {
    dir.remove();
  }
});

test('the order record is damaged but its id readable: the order is kept without content, possibly forwarded', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const clean = Buffer.concat([orderRecord(1), orderRecord(2), stateRecord(2, 'sent')].map(encodeRecord));
    writeFileSync(file, flipInside(clean, 'AL30'));
    const { book } = await openBook(file);
    assert.equal(book.get(idOf(1))?.state, 'unknown');
    assert.equal(book.get(idOf(1))?.order, undefined);
    assert.equal(book.get(idOf(2))?.state, 'sent');
  } finally {
    dir.remove();
  }
});

test('a journal cut shorter than its durable length refuses to open (JournalTruncatedError), the file left untouched', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const { journal } = await openJournal(file);
    for (const record of [orderRecord(1), stateRecord(1, 'sent'), stateRecord(1, 'accepted'), orderRecord(2)]) await journal.appendDurable(record);
    await journal.close();
    const full = readFileSync(file);
    assert.equal(readFileSync(durableLengthFile(file), 'utf8').trim(), String(full.length).padStart(20, '0'));
    writeFileSync(file, full.subarray(0, full.length - 30)); // cut into the last record, qsen down
    await assert.rejects(openJournal(file), (err: unknown) => err instanceof JournalTruncatedError && err.durableBytes === full.length);
    assert.equal(readFileSync(file).length, full.length - 30);
  } finally {
    dir.remove();
  }
});

test('a torn tail that still shows an order id: cut off as before, and that order counts as possibly forwarded, also after the next restart', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const good = encodeRecord(orderRecord(1));
    writeFileSync(file, Buffer.concat([good, encodeRecord(orderRecord(2)).subarray(0, 60)]));
    const first = await openBook(file);
    assert.deepEqual(first.opened.tornIds, [idOf(2)]);
    assert.equal(first.book.get(idOf(2))?.state, 'unknown');
    const again = await openBook(file);
    assert.equal(again.opened.tornBytes, 0);
    assert.equal(again.book.get(idOf(2))?.state, 'unknown', 'the damaged record written at the first open remembers it');
  } finally {
    dir.remove();
  }
});

test('every start-up problem code is documented in docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Start-up problems of qsen'));
  for (const code of STARTUP_PROBLEMS) assert.match(section.slice(0, section.indexOf('\n## ', 5)), new RegExp(`\\| \`${code}\` \\| - \\|`), code);
});

test('an acknowledged order whose order record was damaged is reconciled by id at start: answered accepted on retry, never sent twice', async () => {
  const state = makeTestState({ senebiPort: 0 });
  const id = idOf(901);
  mkdirSync(join(state.home, 'data'), { recursive: true });
  const clean = Buffer.concat([encodeRecord({ type: 'order', id, order: content(id), at: AT }), encodeRecord(orderRecord(902)), encodeRecord(stateRecord(902, 'sent'))]);
  writeFileSync(join(state.home, 'data', 'journal.log'), flipInside(clean, 'AL30'));
  const { startSenebiDouble } = await import('./support/senebi-double.js');
  const senebi = await startSenebiDouble({ ...state.senebiServer, clientCa: state.agentCa });
  senebi.orders.set(id, { ...content(id), status: 'accepted' });
  const h = await startHarness({ state, senebi });
  try {
    await h.node.reconciled;
    const retry = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
    assert.equal(retry.status, 200, retry.body);
    assert.equal((retry.json['order'] as Record<string, unknown>)['status'], 'accepted');
    assert.equal(senebi.posts.get(id), undefined, 'found by id at start: never sent again');
    const other = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id, { quantity: '7' }));
    assert.equal(other.status, 409, 'the content came back with the retry: other content is a duplicate id');
  } finally {
    await h.close();
    await senebi.close();
    state.remove();
  }
});

test('qsen-admin journal check says refuse for an id-less damaged line; repair keeps every intact record, marks the named ids for reconciliation, keeps a backup, and qsen opens the journal', async () => {
  const state = makeTestState({ senebiPort: 0 });
  try {
    const data = join(state.home, 'data');
    mkdirSync(data, { recursive: true });
    const file = join(data, 'journal.log');
    const lines = [orderRecord(1), stateRecord(1, 'accepted'), orderRecord(2), orderRecord(3), stateRecord(3, 'sent')].map(encodeRecord);
    lines[2] = Buffer.from(lines[2]!.toString('utf8').replace(/"id":"/g, '"i\u0000":"'));
    writeFileSync(file, Buffer.concat(lines));
    await assert.rejects(openJournal(file), JournalCorruptError);
    const check = await runAdmin(['journal', 'check', '--config', state.confFile, '--json']);
    assert.equal(check.code, 1, check.stderr);
    const report = JSON.parse(check.stdout) as { verdict: string; corruptLines: number[] };
    assert.deepEqual([report.verdict, report.corruptLines], ['refuse', [3]]);
    const repair = await runAdmin(['journal', 'repair', '--id', idOf(2), '--config', state.confFile, '--json']);
    assert.equal(repair.code, 0, repair.stderr);
    assert.deepEqual((JSON.parse(repair.stdout) as { dropped: number[] }).dropped, [3]);
    assert.equal((await runAdmin(['journal', 'check', '--config', state.confFile])).code, 0);
    const { book } = await openBook(file);
    assert.equal(book.get(idOf(1))?.state, 'accepted');
    assert.equal(book.get(idOf(2))?.state, 'unknown', 'the named id is reconciled with SENEBI at start');
    assert.equal(book.get(idOf(3))?.state, 'sent');
    const files = readdirSync(data);
    assert.ok(files.some((f) => f.startsWith('journal.log.before-repair-')), files.join());
    assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), []);
  } finally {
    state.remove();
  }
});

test('the real qsen refuses to start on an id-less damaged record: exit 1, the stable code and the repair command on stderr', async () => {
  const state = makeTestState({ senebiPort: 1 });
  try {
    mkdirSync(join(state.home, 'data'), { recursive: true });
    const lines = [orderRecord(1), orderRecord(2)].map(encodeRecord);
    lines[0] = Buffer.from(lines[0]!.toString('utf8').replace(/"id":"/g, '"i\u0000":"'));
    writeFileSync(join(state.home, 'data', 'journal.log'), Buffer.concat(lines));
    const child = spawnQsen(state.confFile);
    const { code } = await child.exited;
    assert.equal(code, 1);
    assert.match(child.stderr(), /cannot start: JOURNAL_CORRUPT: journal .*journal\.log is corrupt at line\(s\) 1/);
    assert.match(child.stderr(), /qsen-admin journal check/);
  } finally {
    state.remove();
  }
});

/** The journal an order's life writes: order, then its states. */
interface Life {
  readonly n: number;
  readonly states: OrderState[];
}

const lifeArb = fc.record({
  path: fc.array(fc.constantFrom<OrderState>('sent', 'unknown'), { maxLength: 3 }),
  final: fc.option(fc.constantFrom<OrderState>('accepted', 'rejected'), { nil: undefined }),
});

test('property: random journals with random bit flips and cuts never lose an order that was durable: each is kept (uncertain or its true final state) or qsen refuses to start', async () => {
  const dir = makeTempDir();
  let refused = 0;
  let opened = 0;
  try {
    await fc.assert(fc.asyncProperty(
      fc.array(lifeArb, { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }), { maxLength: 3 }),
      fc.option(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { nil: undefined }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (shapes, seed, flips, cut, durableShare) => {
        const lives: Life[] = shapes.map((s, n) => ({ n: n + 1, states: [...s.path, ...(s.final ? [s.final] : [])] }));
        // Interleave the lives (each in its own order) with a small LCG seeded by fast-check.
        let rng = seed;
        const next = (): number => { rng = (rng * 1103515245 + 12345) % 2 ** 31; return rng; };
        const cursors = lives.map(() => -1);
        const records: Array<{ n: number; record: JournalRecord }> = [];
        for (let left = lives.reduce((sum, l) => sum + l.states.length + 1, 0); left > 0; left -= 1) {
          const open = lives.filter((l, i) => cursors[i]! < l.states.length);
          const life = open[next() % open.length]!;
          const i = life.n - 1;
          const step = cursors[i]!;
          records.push({ n: life.n, record: step < 0 ? orderRecord(life.n) : stateRecord(life.n, life.states[step]!) });
          cursors[i] = step + 1;
        }
        const lines = records.map((r) => encodeRecord(r.record));
        const ends: number[] = [];
        lines.reduce((sum, l) => { ends.push(sum + l.length); return sum + l.length; }, 0);
        let bytes = Buffer.concat(lines);
        // The durable length: a record boundary (what qsen last fsynced).
        const durable = [0, ...ends][Math.floor(durableShare * ends.length)] ?? 0;
        for (const flip of flips) {
          const at = Math.floor(flip.at * bytes.length);
          bytes[at] = (bytes[at] ?? 0) ^ (1 << flip.bit);
        }
        if (cut !== undefined) bytes = bytes.subarray(0, Math.floor(cut * bytes.length));
        const file = join(dir.path, `journal-${seed}-${Math.random().toString(36).slice(2)}.log`);
        writeFileSync(file, bytes);
        writeFileSync(durableLengthFile(file), encodeDurableLength(durable));
        let book;
        try {
          const result = await openBook(file);
          book = result.book;
        } catch (err) {
          assert.ok(err instanceof JournalCorruptError || err instanceof JournalTruncatedError, String(err));
          refused += 1;
          return;
        }
        opened += 1;
        assert.ok(cut === undefined || Math.floor(cut * ends[ends.length - 1]!) >= durable, 'a cut into durable bytes must refuse');
        records.forEach((r, index) => {
          if (r.record.type !== 'order' || ends[index]! > durable) return; // only durable order records were ever forwarded
          const life = lives[r.n - 1]!;
          const entry = book.get(idOf(r.n));
          assert.ok(entry, `order ${r.n} (durable) is not forgotten`);
          const final = life.states.find((s) => FINAL_STATES.includes(s));
          assert.ok(UNCERTAIN_STATES.includes(entry.state) || entry.state === final, `order ${r.n}: ${entry.state}, true final ${String(final)}`);
        });
      },
    ), { numRuns: 400, seed: Number(process.env['QSEN_PROPERTY_SEED'] ?? 20261201) });
    console.log(`journal damage property: ${opened} opened and reconciled, ${refused} refused to start`);
    assert.ok(opened > 0 && refused > 0, 'both outcomes were exercised');
  } finally {
    dir.remove();
  }
});
