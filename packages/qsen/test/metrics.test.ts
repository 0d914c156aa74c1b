// qsen_certificate_expiry_timestamp_seconds (the certificates in use, read at every scrape, so a
// TLS reload shows at the next one) and qsen_trading_window_open (the schedule at the node's clock).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '@qsen/testkit';
import { issueServerCertificate } from '@qsen/pki';
import { METRIC_NAMES } from '../src/metrics/metrics.js';
import { startHarness, type Harness } from './support/node.js';

// Buenos Aires is UTC-3 all year. 2026-11-20 is a Friday; 2026-11-23 (Monday) is listed as a holiday.
const schedule = [
  'timezone = "America/Argentina/Buenos_Aires"',
  'start = "10:30"',
  'stop = "17:30"',
  'days = ["mon", "tue", "wed", "thu", "fri"]',
  'holidays = ["2026-11-23"]',
].join('\n');

/** notAfter of a PEM file, unix seconds, read with node:crypto (not the code under test). */
function notAfterSeconds(file: string): number {
  return Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000;
}

describe('qsen metrics read at scrape time', () => {
  const clock = new ManualClock(Date.now());
  let h: Harness;
  before(async () => {
    h = await startHarness({ clock, settings: { schedule } });
  });
  after(async () => {
    await h.close();
  });

  async function scrape(): Promise<string> {
    const r = await h.call('GET', '/qsen/v1/metrics/process', undefined, 'auditor');
    assert.equal(r.status, 200);
    return r.body;
  }

  function valueOf(body: string, series: string): number | undefined {
    const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const text = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(body)?.[1];
    return text === undefined ? undefined : Number(text);
  }

  const expiry = (certificate: string): string => `${METRIC_NAMES.certificateExpiry}{certificate="${certificate}"}`;

  test('the notAfter of the server, client CA and SENEBI agent certificates, as unix seconds', async () => {
    const body = await scrape();
    assert.equal(valueOf(body, expiry('server')), notAfterSeconds(join(h.state.home, 'pki/server.crt')));
    assert.equal(valueOf(body, expiry('client_ca')), notAfterSeconds(join(h.state.home, 'pki/ca.crt')));
    assert.equal(valueOf(body, expiry('senebi_agent')), notAfterSeconds(join(h.state.home, 'senebi/agent.crt')));
    assert.match(body, new RegExp(`^# TYPE ${METRIC_NAMES.certificateExpiry} gauge$`, 'm'));
  });

  test('a renewed server certificate shows at the next scrape after the TLS reload', async () => {
    const pki = join(h.state.home, 'pki');
    const ca = { certPem: readFileSync(join(pki, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(pki, 'ca.key'), 'utf8') };
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 20 * 86_400_000);
    const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const renewed = issueServerCertificate(ca, { keyPem, commonName: 'localhost', hosts: ['localhost', '127.0.0.1', '::1'], notAfter });
    writeFileSync(join(pki, 'server.crt'), renewed.certPem);
    writeFileSync(join(pki, 'server.key'), renewed.keyPem, { mode: 0o600 });
    assert.deepEqual(h.node.reload(), { ok: true });
    const body = await scrape();
    assert.equal(valueOf(body, expiry('server')), notAfter.getTime() / 1000);
    assert.ok((valueOf(body, expiry('server')) ?? 0) - Date.now() / 1000 < 30 * 86_400, 'inside the 30-day alert threshold');
  });

  test('qsen_trading_window_open follows the schedule at the node clock (edges, weekend, holiday)', async () => {
    const at = async (iso: string): Promise<number | undefined> => {
      clock.set(Date.parse(iso));
      return valueOf(await scrape(), METRIC_NAMES.tradingWindowOpen);
    };
    assert.equal(await at('2026-11-20T13:29:59.999Z'), 0);
    assert.equal(await at('2026-11-20T13:30:00.000Z'), 1);
    assert.equal(await at('2026-11-20T20:29:59.999Z'), 1);
    assert.equal(await at('2026-11-20T20:30:00.000Z'), 0);
    assert.equal(await at('2026-11-21T15:00:00.000Z'), 0);
    assert.equal(await at('2026-11-23T15:00:00.000Z'), 0);
    assert.equal(await at('2026-11-24T15:00:00.000Z'), 1);
  });
});
