/**
 * No state change by surprise from a browser: Debian's chromium, headless, driven by
 * playwright-core, holding the operator's client certificate, loads a page served from another
 * origin (a plain http server on another loopback port) that tries `<img>`, form POSTs and
 * fetch against a running kan's restart_qsen and logs/truncate. Nothing is restarted, nothing
 * is truncated, and each refusal is in the kan's log with its code. Under CI=true a missing
 * chromium fails the test; elsewhere it skips loudly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { requireTool, waitFor } from '@qsen/testkit';
import { readLogs, startSystem, type LocalSystem } from '../support/index.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VICTIM = 'victim.log';

/** The attacking page: every way a page of another site can make a browser send a request. */
function attackPage(kan: string): string {
  const restart = `${kan}/kan/v1/restart_qsen`;
  const truncate = `${kan}/kan/v1/logs/truncate?file=${VICTIM}&keep=0`;
  return `<!doctype html><html><body>
<img src="${restart}"><img src="${truncate}">
<iframe name="f1"></iframe><iframe name="f2"></iframe>
<form id="a" method="POST" action="${restart}" target="f1"></form>
<form id="b" method="POST" action="${truncate}" target="f2"></form>
<script>
  document.getElementById('a').submit();
  document.getElementById('b').submit();
  fetch(${JSON.stringify(restart)}, { method: 'POST', mode: 'no-cors', credentials: 'include' }).catch(() => {});
  fetch(${JSON.stringify(truncate)}, { method: 'POST', mode: 'no-cors', credentials: 'include' }).catch(() => {});
</script></body></html>`;
}

describe('a real browser holding an operator certificate, on a page of another site', () => {
  let system: LocalSystem | undefined;
  let page: Server | undefined;
  let context: BrowserContext | undefined;
  let profile = '';
  const tool = requireTool('chromium');

  before(async () => {
    if (typeof tool !== 'string') return;
    system = await startSystem({
      prefix: 'qsen-browser-',
      prepare: (home) => {
        writeFileSync(join(home, 'logs', VICTIM), 'line that must stay\n'.repeat(500));
      },
    });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await new Promise<void>((resolve) => (page ? page.close(() => resolve()) : resolve()));
    await system?.stop();
    if (profile !== '') rmSync(profile, { recursive: true, force: true });
  });

  test('img, form POST and fetch against restart_qsen and logs/truncate change nothing, and the refusals are logged', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system);
    const kan = system.urlOf('kan0');
    const before = await system.status('qsen');
    const victimSize = statSync(join(system.home, 'logs', VICTIM)).size;

    page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(attackPage(kan));
    });
    await new Promise<void>((resolve) => page?.listen(0, '127.0.0.1', () => resolve()));
    const address = page.address();
    assert.ok(address && typeof address === 'object');
    const pageUrl = `http://127.0.0.1:${address.port}/`;

    profile = mkdtempSync(join(tmpdir(), 'qsen-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: tool === CHROMIUM ? CHROMIUM : tool,
      headless: true,
      args: FLAGS,
      ignoreHTTPSErrors: true,
      clientCertificates: [{ origin: kan, certPath: join(system.home, 'pki/clients/operator.crt'), keyPath: join(system.home, 'pki/clients/operator.key') }],
    });
    const tab = await context.newPage();
    await tab.goto(pageUrl, { waitUntil: 'load' });

    // Every attempt reached the kan, with the operator's certificate, and was refused.
    const refusals = (): Array<Record<string, unknown>> => readLogs(system?.home ?? '', 'kan0').split('\n').filter((l) => l.includes('CROSS_SITE_REQUEST'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // img: GET x2; form: POST x2; fetch: POST x2.
    const wanted: Record<string, number> = { 'GET /kan/v1/restart_qsen': 1, 'GET /kan/v1/logs/truncate': 1, 'POST /kan/v1/restart_qsen': 2, 'POST /kan/v1/logs/truncate': 2 };
    const countOf = (what: string): number => refusals().filter((r) => `${String(r['method'])} ${String(r['path'])}` === what).length;
    await waitFor(() => Object.entries(wanted).every(([what, n]) => countOf(what) >= n), { timeoutMs: 30_000, what: `the refusals ${JSON.stringify(wanted)} in kan0's log` });
    for (const r of refusals()) {
      assert.equal(r['status'], 403);
      assert.equal(r['role'], 'operator', 'the browser presented the operator certificate by itself');
      assert.equal(r['refusal'], 'Sec-Fetch-Site: cross-site');
    }

    // Nothing happened: qsen was not restarted, the log was not truncated.
    const now = await system.status('qsen');
    assert.equal(now.invocation, before.invocation);
    assert.equal(now.pid, before.pid);
    assert.equal(statSync(join(system.home, 'logs', VICTIM)).size, victimSize);

    // The same GET form without browser headers (curl, scripts) still works.
    const curlLike = await system.call('kan0', `/kan/v1/logs/truncate?file=${VICTIM}&keep=100`, { identity: 'operator' });
    assert.equal(curlLike.status, 200, curlLike.body);
    assert.ok(statSync(join(system.home, 'logs', VICTIM)).size < victimSize, 'the request without browser headers truncated the log');
  });
});
