// The zone offsets read from the system's tzdata (TZif, no Intl) against Node's Intl on the same
// instants: randomized over 1971-2099 in zones with every kind of rule (none, northern and southern
// DST, negative DST, half-hour DST, explicit future transitions), plus the POSIX rule parser alone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

describe('schedule: zone offsets from the system tzdata', () => {
  test('agree with Intl on random instants, 1971-2099, in zones with every kind of rule', (t) => {
    if (!haveTzdata) {
      if (process.env['CI'] === 'true') assert.fail('tzdata (/usr/share/zoneinfo) is missing: apt-get install tzdata');
      return t.skip(`!!! tzdata missing (${ZONEINFO_DIR}): the Intl path alone is in use`);
    }
    for (const zone of ZONES) assert.ok(systemZone(zone), `${zone} is read from the system`);
    fc.assert(fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 11, 31) }), (zone, at) => {
      assert.deepEqual(localDateTimeOf(zone, at), intlLocalDateTimeOf(zone, at), `${zone} at ${new Date(at).toISOString()}`);
    }), { numRuns: 4000 });
    // Both sides of each of New York's and Sydney's 2030 transitions, to the second.
    for (const [zone, instants] of [['America/New_York', [Date.UTC(2030, 2, 10, 7), Date.UTC(2030, 10, 3, 6)]], ['Australia/Sydney', [Date.UTC(2030, 3, 6, 16), Date.UTC(2030, 9, 5, 16)]]] as const) {
      for (const at of instants) for (const d of [-1000, 0, 1000]) assert.deepEqual(localDateTimeOf(zone, at + d), intlLocalDateTimeOf(zone, at + d), `${zone} ${at + d}`);
    }
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
