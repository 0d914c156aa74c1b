// The zone offsets read from the system's tzdata (TZif, no Intl) against glibc's zdump reading the
// same files: randomized over 1971-2099 in zones with every kind of rule (none, northern and southern
// DST, negative DST, half-hour DST, explicit future transitions), plus the POSIX rule parser alone.
// The oracle is zdump, not Intl: Node's ICU carries its own tzdata release, and two releases
// legitimately disagree about the future (tzdata 2026f moves Morocco to +00 from 2026-09-20; ICU
// 2025c keeps +01), so Intl is compared only where the two releases have no reason to differ.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { intlLocalDateTimeOf, isValidTimeZone, localDateTimeOf } from '../src/index.js';
import { parsePosixRule, parseTzif, ruleOffsetAt } from '../src/schedule/tzif.js';
import { systemZone, ZONEINFO_DIR } from '../src/schedule/zone-source.js';

const ZONES = [
  'America/Argentina/Buenos_Aires', 'America/New_York', 'America/Sao_Paulo', 'America/Nuuk', 'Europe/Dublin', 'Europe/London',
  'Europe/Madrid', 'Australia/Lord_Howe', 'Australia/Sydney', 'Pacific/Chatham', 'Asia/Kolkata', 'Asia/Tehran', 'Africa/Casablanca',
  'America/Santiago', 'Pacific/Auckland', 'Etc/GMT+3', 'UTC',
];
const haveTzdata = existsSync(join(ZONEINFO_DIR, 'America/Argentina/Buenos_Aires'));

/** glibc's view of a zone over 1971-2100: its transitions (UT seconds, offset from then on) and the offset before the first. */
function zdumpZone(zone: string): (atMs: number) => number {
  const out = execFileSync('zdump', ['-v', '-c', '1971,2100', zone], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const lines: Array<{ at: number; gmtoff: number }> = [];
  for (const line of out.split('\n')) {
    const m = / (\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d+) UT = .* gmtoff=(-?\d+)$/.exec(line);
    if (m) lines.push({ at: Date.parse(`${m[1]} UTC`), gmtoff: Number(m[2]) * 1000 });
  }
  if (lines.length === 0) {
    const z = execFileSync('date', ['-d', '@0', '+%z'], { encoding: 'utf8', env: { ...process.env, TZ: `:${zone}`, LC_ALL: 'C' } }).trim();
    const fixed = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 3600 + Number(z.slice(3, 5)) * 60) * 1000;
    return () => fixed;
  }
  return (atMs) => {
    let offset = lines[0]!.gmtoff;
    for (const l of lines) if (l.at <= atMs) offset = l.gmtoff; else break;
    return offset;
  };
}

/** The wall-clock fields at atMs for a UTC offset, in the shape localDateTimeOf answers. */
function fieldsAt(atMs: number, offsetMs: number) {
  const d = new Date(Math.floor(atMs / 1000) * 1000 + offsetMs);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: atMs - Math.floor(atMs / 1000) * 1000 };
}

describe('schedule: zone offsets from the system tzdata', () => {
  test('agree with glibc (zdump, the same files) on random instants, 1971-2099, in zones with every kind of rule', (t) => {
    if (!haveTzdata) {
      if (process.env['CI'] === 'true') assert.fail('tzdata (/usr/share/zoneinfo) is missing: apt-get install tzdata');
      return t.skip(`!!! tzdata missing (${ZONEINFO_DIR}): the Intl path alone is in use`);
    }
    for (const zone of ZONES) assert.ok(systemZone(zone), `${zone} is read from the system`);
    const glibc = new Map(ZONES.map((zone) => [zone, zdumpZone(zone)]));
    fc.assert(fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 11, 31) }), (zone, at) => {
      assert.deepEqual(localDateTimeOf(zone, at), fieldsAt(at, glibc.get(zone)!(at)), `${zone} at ${new Date(at).toISOString()}`);
    }), { numRuns: 4000 });
    // Both sides of each of New York's and Sydney's 2030 transitions, to the second; these rules have
    // stood unchanged in every tzdata release since 2007/2008, so Intl's copy must agree as well.
    for (const [zone, instants] of [['America/New_York', [Date.UTC(2030, 2, 10, 7), Date.UTC(2030, 10, 3, 6)]], ['Australia/Sydney', [Date.UTC(2030, 3, 6, 16), Date.UTC(2030, 9, 5, 16)]]] as const) {
      for (const at of instants) for (const d of [-1000, 0, 1000]) {
        assert.deepEqual(localDateTimeOf(zone, at + d), fieldsAt(at + d, glibc.get(zone)!(at + d)), `${zone} ${at + d}`);
        assert.deepEqual(localDateTimeOf(zone, at + d), intlLocalDateTimeOf(zone, at + d), `${zone} ${at + d} (Intl)`);
      }
    }
    // The Casablanca instant where tzdata 2026f and ICU 2025c part: the system's release is the one used.
    const split = Date.UTC(2026, 8, 20, 1);
    assert.deepEqual(localDateTimeOf('Africa/Casablanca', split), fieldsAt(split, glibc.get('Africa/Casablanca')!(split)));
  });

  test('names: a system zone is valid; other names are judged by Intl as before', () => {
    assert.equal(isValidTimeZone('America/Argentina/Buenos_Aires'), true);
    assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
    assert.equal(isValidTimeZone('../../etc/passwd'), false);
    assert.equal(isValidTimeZone(''), false);
    assert.equal(systemZone('America/../../etc/passwd'), null);
    assert.equal(systemZone('posixrules'), null, 'only IANA region names are read from the system');
  });

  test('a file that is not TZif, or a cut one, is refused (the Intl path then answers)', () => {
    assert.throws(() => parseTzif(Buffer.from('not a zone file at all, not at all, no no no')), /TZif/);
    const real = haveTzdata ? systemZone('America/New_York') : null;
    if (real) assert.ok(real.transitions.length > 100);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try { parseTzif(Buffer.concat([Buffer.from('TZif2'), Buffer.from(bytes)])); } catch (err) { assert.ok(err instanceof Error); }
    }), { numRuns: 500 });
  });

  test('POSIX rules: fixed, northern, southern, negative DST and rule times outside 0-24 h', () => {
    assert.deepEqual(parsePosixRule('<-03>3'), { stdOffset: -10800 });
    const ny = parsePosixRule('EST5EDT,M3.2.0,M11.1.0');
    assert.equal(ruleOffsetAt(ny, Date.UTC(2031, 6, 1) / 1000), -4 * 3600);
    assert.equal(ruleOffsetAt(ny, Date.UTC(2031, 0, 1) / 1000), -5 * 3600);
    assert.equal(ruleOffsetAt(ny, Date.UTC(2031, 2, 9, 7) / 1000 - 1), -5 * 3600, 'the second before 2 am EST on March 9');
    assert.equal(ruleOffsetAt(ny, Date.UTC(2031, 2, 9, 7) / 1000), -4 * 3600);
    const dublin = parsePosixRule('IST-1GMT0,M10.5.0,M3.5.0/1');
    assert.equal(ruleOffsetAt(dublin, Date.UTC(2031, 0, 15) / 1000), 0);
    assert.equal(ruleOffsetAt(dublin, Date.UTC(2031, 6, 15) / 1000), 3600);
    const lordHowe = parsePosixRule('<+1030>-10:30<+11>-11,M10.1.0,M4.1.0');
    assert.equal(ruleOffsetAt(lordHowe, Date.UTC(2031, 0, 15) / 1000), 11 * 3600);
    assert.equal(ruleOffsetAt(lordHowe, Date.UTC(2031, 6, 15) / 1000), 10.5 * 3600);
    const nuuk = parsePosixRule('<-02>2<-01>,M3.5.0/-1,M10.5.0/0');
    assert.equal(ruleOffsetAt(nuuk, Date.UTC(2031, 6, 15) / 1000), -3600);
    assert.equal(ruleOffsetAt(nuuk, Date.UTC(2031, 11, 15) / 1000), -7200);
    assert.deepEqual(parsePosixRule('XXX3YYY,J60/25,100'), { stdOffset: -10800, dst: { offset: -7200, start: { kind: 'J', day: 60, time: 90000 }, end: { kind: 'N', day: 100, time: 7200 } } });
    for (const bad of ['', 'E5', 'EST', 'EST5EDT,M3.2.0', 'EST5EDT,Q1,Q2', '<EST5']) assert.throws(() => parsePosixRule(bad), /POSIX TZ rule/, bad);
  });
});
