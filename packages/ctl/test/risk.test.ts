import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonLossless } from '@qsen/core';
import { parseCommandLine } from '../src/cli/parse.js';
import { renderRiskView, renderUsageBar } from '../src/commands/risk.js';
import { CtlError } from '../src/errors.js';

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (err) {
    assert.ok(err instanceof CtlError && err.code === 'USAGE', String(err));
    return err.message;
  }
  assert.fail(`accepted: ${argv.join(' ')}`);
}

describe('qsenctl risk: command line', () => {
  test('risk, reload, override, lift and price parse into their commands', () => {
    assert.deepEqual(parseCommandLine(['risk', '--json']).command, { kind: 'risk' });
    assert.deepEqual(parseCommandLine(['risk', 'reload', '--reason', 'new file']).command, { kind: 'risk-reload', reason: 'new file' });
    assert.deepEqual(parseCommandLine(['risk', 'override', 'daily_orders', '6000', '--reason', 'ok', '--expires', '2026-12-01T20:30:00Z']).command,
      { kind: 'risk-override', limit: 'daily_orders', value: '6000', reason: 'ok', expiresAt: '2026-12-01T20:30:00Z' });
    assert.deepEqual(parseCommandLine(['risk', 'override', 'daily_orders', 'none', '--reason', 'done']).command,
      { kind: 'risk-override', limit: 'daily_orders', value: null, reason: 'done', expiresAt: undefined });
    assert.deepEqual(parseCommandLine(['risk', 'price', 'AL30=1234.5', 'GD30=98765', '--reason', 'close']).command,
      { kind: 'risk-price', prices: { AL30: '1234.5', GD30: '98765' }, reason: 'close' });
  });

  test('missing reason, expiry or pairs are usage errors', () => {
    assert.match(usageError(['risk', 'override', 'daily_orders', '5', '--expires', 'x']), /--reason/);
    assert.match(usageError(['risk', 'override', 'daily_orders', '5', '--reason', 'x']), /--expires/);
    assert.match(usageError(['risk', 'price', 'AL30', '--reason', 'x']), /INSTRUMENT=PRICE/);
    assert.match(usageError(['risk', 'reload', '--expires', 'x']), /does not apply/);
    assert.match(usageError(['risk', 'nope']), /risk reload/);
  });
});

describe('qsenctl risk: rendering', () => {
  test('usage bars fill in proportion and show the percent', () => {
    assert.equal(renderUsageBar(0), '[....................]   0%');
    assert.equal(renderUsageBar(0.45), '[#########...........]  45%');
    assert.equal(renderUsageBar(1), '[####################] 100%');
    assert.equal(renderUsageBar(1.5), '[####################] 150%');
  });

  test('the view is a table with one row per limit and per instrument, then lists, collar and reload', () => {
    const view = parseJsonLossless(JSON.stringify({
      day: '2026-12-01', timezone: 'America/Argentina/Buenos_Aires', active: true,
      limits: [
        { limit: 'order_quantity', scope: 'order', max: '1000000', source: 'file', fileValue: '1000000' },
        { limit: 'daily_orders', scope: 'daily', max: '6000', source: 'override', fileValue: '5000', used: '4500', headroom: '1500', usageRatio: 0.75,
          override: { value: '6000', reason: 'ticket 42', expiresAt: '2026-12-01T20:30:00.000Z', setAt: '2026-12-01T15:00:00.000Z', by: 'CN=op' } },
        { limit: 'daily_instrument_notional.ARS', scope: 'daily', max: '100', source: 'file', fileValue: '100', used: '50', headroom: '50', usageRatio: 0.5,
          instruments: [{ instrument: 'AL30', used: '50', headroom: '50', usageRatio: 0.5 }] },
      ],
      lists: { instruments: { allow: ['AL30'], deny: [] }, counterparties: { allow: null, deny: ['999'] }, currencies: { allow: null, deny: [] }, settlements: { allow: null, deny: [] } },
      collar: { bandPercent: '5', unreferenced: 'refuse', referencePricesFile: null, referencePrices: [{ instrument: 'AL30', price: '1234.5', source: 'file' }] },
      lastReload: { at: '2026-12-01T14:00:00.000Z', ok: false, by: 'SIGHUP', problems: ['risk.foo: unknown key'] },
    })) as Record<string, unknown>;
    const text = renderRiskView(view);
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^risk limits of 2026-12-01 \(America\/Argentina\/Buenos_Aires\)$/);
    assert.match(lines[1] ?? '', /^LIMIT +MAX +USED +HEADROOM +USAGE +SOURCE$/);
    assert.match(lines[2] ?? '', /^order_quantity +1000000 +- +- +file$/);
    assert.match(lines[3] ?? '', /^daily_orders +6000 +4500 +1500 +\[###############\.{5}\] {2}75% +override until 2026-12-01T20:30:00.000Z \(ticket 42\)$/);
    assert.match(lines[5] ?? '', /^ {2}AL30 +50 +50 +\[##########\.{10}\] {2}50%$/);
    assert.ok(lines.includes('instruments: allow AL30'));
    assert.ok(lines.includes('counterparties: allow all; deny 999'));
    assert.ok(lines.includes('price band: 5% around the reference; without one: refuse'));
    assert.match(text, /last reload: 2026-12-01T14:00:00.000Z by SIGHUP: FAILED \(limits kept\): risk.foo: unknown key\n$/);
  });
});
