/**
 * The browser console (docs/console.md) in a real browser: Debian's chromium, headless, driven by
 * playwright-core, against the running local system (the launcher as `npm start` runs it). The
 * browser presents PKCS#12 identities made by `qsen-pki issue-client` (an operator's with
 * --p12-pass-file, an auditor's with --p12), as a person imports them (docs/console.md). It checks
 * that every panel shows the system's real figures, that halt, resume and a restart work for the
 * operator and are absent and refused for the auditor, that a followed tail shows a line written
 * after the page opened, and that the page breaks no rule of its Content-Security-Policy. The
 * run saves screenshots under test/artifacts/console/ (git-ignored; the path is printed). Under
 * CI=true a missing chromium fails the test; elsewhere it skips loudly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { httpsCall, requireTool, waitFor } from '@qsen/testkit';
import { errorCodeOf, orderBody, REPOSITORY, startSystem, type LocalSystem } from '../support/index.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PKI_CLI = join(REPOSITORY, 'packages/pki/dist/src/cli.js');
const FOLLOWED = 'console-follow.log';
const OPERATOR_PASSPHRASE = 'operator console passphrase 19';
/** Generous: two shared cores, a browser and five node processes. */
const DEADLINE_MS = 60_000;

/**
 * Runs in the page (the test project has no DOM types): the contrast ratio (WCAG 2) of each kind
 * of text the console uses against its effective background.
 */
const CONTRAST_SCRIPT = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const selector of ['h1', 'th', 'td', '.muted', '.ok', '.bad', '.warn', 'a', '#ks-halt', '#audit-verify-now', 'button:disabled', '#tail-output']) {
    const el = document.querySelector(selector);
    if (!el) continue;
    const a = lum(rgb(getComputedStyle(el).color));
    const b = lum(background(el));
    out[selector] = Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 100) / 100;
  }
  return out;
})()`;

/** Where this run's screenshots go (git-ignored). */
const ARTIFACTS = process.env['QSEN_TEST_ARTIFACTS'] ?? join(REPOSITORY, 'test', 'artifacts', 'console', new Date().toISOString().replace(/[:.]/g, '-'));

/** Runs `qsen-pki` like an operator would. */
function qsenPki(home: string, args: string[]): string {
  const result = spawnSync(process.execPath, [PKI_CLI, ...args, '--home', home], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, `qsen-pki ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The rendered text of a selector (table cells apart), polled until `accept` holds (returns it). */
async function textUntil(page: Page, selector: string, accept: (text: string) => boolean, what: string): Promise<string> {
  return waitFor(async () => {
    const text = await page.locator(selector).first().innerText({ timeout: 5000 });
    return accept(text) ? text : undefined;
  }, { timeoutMs: DEADLINE_MS, intervalMs: 200, what });
}

describe('the browser console against the running system', () => {
  let system: LocalSystem | undefined;
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];
  const problems: string[] = [];
  const tool = requireTool('chromium');
  let operator: Page | undefined;
  let auditor: Page | undefined;
  let kan = '';

  /** A browser holding one PKCS#12 identity for the kan's origin, with the console open. */
  async function openConsole(pfxPath: string, passphrase: string, label: string): Promise<Page> {
    assert.ok(typeof tool === 'string');
    const profile = mkdtempSync(join(tmpdir(), `qsen-console-${label}-`));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: tool, headless: true, args: FLAGS, ignoreHTTPSErrors: true, viewport: { width: 1400, height: 1800 },
      clientCertificates: [{ origin: kan, pfxPath, passphrase }],
    });
    contexts.push(context);
    const page = context.pages()[0] ?? await context.newPage();
    // Refused requests (the auditor's tries, the favicon's 404) are logged as failed loads; a
    // broken rule of the Content-Security-Policy or a script error is a problem.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`${label} console: ${message.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`${label} page error: ${err.message}`));
    const answer = await page.goto(`${kan}/kan/v1/console/`, { waitUntil: 'load', timeout: DEADLINE_MS });
    assert.equal(answer?.status(), 200);
    await page.waitForSelector('body[data-ready="true"]', { timeout: DEADLINE_MS });
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`console screenshot: ${file}`);
  }

  before(async () => {
    if (typeof tool !== 'string') return;
    system = await startSystem({
      prefix: 'qsen-console-',
      prepare: (home) => {
        writeFileSync(join(home, 'logs', FOLLOWED), 'a line from before the page opened\n');
        appendFileSync(join(home, 'conf.toml'), '\n[risk]\nmax_daily_orders = 5000\nmax_order_quantity = "1000000"\nmax_daily_notional = { ARS = "500000000" }\n');
        const passFile = join(home, 'operator-console.pass');
        writeFileSync(passFile, `${OPERATOR_PASSPHRASE}\n`, { mode: 0o600 });
        const issued = qsenPki(home, ['issue-client', '--role', 'operator', '--name', 'console-operator', '--p12-pass-file', passFile]);
        assert.equal(issued.includes(OPERATOR_PASSPHRASE), false, 'the passphrase is never printed');
        qsenPki(home, ['issue-client', '--role', 'auditor', '--name', 'console-auditor', '--p12']);
      },
    });
    kan = system.urlOf('kan0');
    // One order, so the risk panel has usage to show.
    const sent = await system.call('qsen', '/qsen/v1/sendOrder', { method: 'POST', body: orderBody('9999000000000000019'), identity: 'platform' });
    assert.equal(sent.status, 200, sent.body);
    operator = await openConsole(join(system.home, 'pki/clients/console-operator.p12'), OPERATOR_PASSPHRASE, 'operator');
    const auditorPass = readFileSync(join(system.home, 'pki/clients/console-auditor.p12.pass'), 'utf8').trim();
    auditor = await openConsole(join(system.home, 'pki/clients/console-auditor.p12'), auditorPass, 'auditor');
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await system?.stop();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
    if (typeof tool === 'string') console.log(`console screenshots of this run: ${ARTIFACTS}`);
  });

  test('every panel shows the running system\'s own figures to an operator', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system && operator);
    const page = operator;
    await textUntil(page, '#who', (s) => s.includes('CN=console-operator') && s.includes('role operator'), 'the session line');

    // Nodes: four rows, each with the pid its owner (the launcher) reports.
    for (const name of ['qsen', 'kan0', 'kan1', 'kan2']) {
      const { pid } = await system.status(name);
      assert.ok(pid !== null);
      await textUntil(page, `#nodes-body tr[data-node="${name}"]`, (s) => s.includes(String(pid)) && s.includes('up · '), `${name}'s row with pid ${pid}`);
    }

    // Trading window: the schedule's zone, the time there and in UTC, the next change or "all day".
    const conf = readFileSync(join(system.home, 'conf.toml'), 'utf8');
    const zone = /^timezone = "([^"]+)"/m.exec(conf)?.[1] ?? '';
    assert.notEqual(zone, '');
    const window = await textUntil(page, '#window-body', (s) => s.includes(zone) && s.includes('UTC'), 'the window panel');
    const allDay = /^start = "00:00"/m.test(conf) && /^stop = "24:00"/m.test(conf);
    if (allDay) assert.match(window, /all day/);
    assert.match(window, /next change/);

    // Kill switch: not halted; risk: the configured limits, with the order just sent counted.
    await textUntil(page, '#ks-state', (s) => s.includes('not halted'), 'the kill switch state');
    await textUntil(page, '#risk-body tr[data-limit="daily_orders"]', (s) => s.includes('5000') && /\b1\b/.test(s), 'daily_orders with one order used');
    await textUntil(page, '#risk-body', (s) => s.includes('order_quantity') && s.includes('1000000'), 'order_quantity');

    // Logs: the folder's files with download links; the audit trail, verified.
    await textUntil(page, '#logs-body', (s) => s.includes(FOLLOWED) && /kan0-/.test(s), 'the log list');
    const href = await page.locator(`#logs-body tr[data-log="${FOLLOWED}"] a`).getAttribute('href');
    assert.equal(href, `/kan/v1/logs?file=${FOLLOWED}`);
    const download = await page.evaluate(async (path) => (await fetch(path)).text(), href);
    assert.equal(download, readFileSync(join(system.home, 'logs', FOLLOWED), 'utf8'));
    await textUntil(page, '#audit-body', (s) => s.includes('sendOrder') && s.includes('CN=qsen-platform'), 'the audit entry of the order');
    await textUntil(page, '#audit-verify', (s) => s.includes('verified') && s.includes('every chain is intact'), 'the audit verification');

    // Certificates: the server certificate's and the caller's own days left.
    const status = JSON.parse((await system.call('kan0', '/kan/v1/status', { identity: 'operator' })).body) as { certificates: { server: { daysLeft: number } } };
    await textUntil(page, '#certificates-body', (s) => s.includes(String(status.certificates.server.daysLeft)) && s.includes('your client certificate') && s.includes('CN=console-operator'), 'the certificate panel');
    // Contrast: text against its background, at least 4.5:1 (WCAG AA) for the kinds of text the page uses.
    const ratios = await page.evaluate(CONTRAST_SCRIPT) as Record<string, number>;
    assert.ok(Object.keys(ratios).length >= 10, JSON.stringify(ratios));
    for (const [selector, ratio] of Object.entries(ratios)) assert.ok(ratio >= 4.5, `${selector}: contrast ${ratio} < 4.5`);
    await screenshot(page, '1-operator-overview');
  });

  test('a followed tail shows a line written after the page opened', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system && operator);
    const page = operator;
    await page.locator('#tail-file').selectOption(FOLLOWED);
    await page.locator('#tail-follow').check();
    await textUntil(page, '#tail-output', (s) => s.includes('a line from before the page opened'), 'the tail of the file');
    await textUntil(page, '#tail-state', (s) => s.includes('following'), 'following');
    const line = `written after the page opened ${process.pid}-${Date.now()}`;
    appendFileSync(join(system.home, 'logs', FOLLOWED), `${line}\n`);
    const shown = await textUntil(page, '#tail-output', (s) => s.includes(line), 'the new line in the followed tail');
    assert.equal(shown.split(line).length - 1, 1, 'the new line is shown once');
    assert.ok(shown.indexOf('a line from before') < shown.indexOf(line), 'in file order');
    await screenshot(page, '2-operator-follow');
  });

  test('halt and resume from the operator\'s console switch qsen\'s kill switch, audited in the kan\'s chain', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system && operator);
    const page = operator;
    // By keyboard: the reason field, Tab to the Halt button, Enter.
    await page.locator('#ks-reason').fill('console test halt');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'ks-halt', 'Tab moves from the reason to the Halt button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#ks-state[data-halted="true"]', { timeout: DEADLINE_MS });
    const halted = JSON.parse((await system.call('qsen', '/qsen/v1/status', { identity: 'auditor' })).body) as { halted: boolean; killSwitch: { by?: string; reason?: string } };
    assert.equal(halted.halted, true);
    assert.match(halted.killSwitch.by ?? '', /CN=console-operator/);
    assert.equal(halted.killSwitch.reason, 'console test halt');
    const refused = await system.call('qsen', '/qsen/v1/sendOrder', { method: 'POST', body: orderBody('9999000000000000020'), identity: 'platform' });
    assert.equal(refused.status, 423, refused.body);
    await textUntil(page, '#ks-state', (s) => s.includes('HALTED') && s.includes('console test halt'), 'the halted state');
    await screenshot(page, '3-operator-halted');

    await page.locator('#ks-resume').click();
    await page.waitForSelector('#ks-state[data-halted="false"]', { timeout: DEADLINE_MS });
    const resumed = JSON.parse((await system.call('qsen', '/qsen/v1/status', { identity: 'auditor' })).body) as { halted: boolean };
    assert.equal(resumed.halted, false);
    const audit = (await system.call('kan0', '/kan/v1/audit?action=halt,resume', { identity: 'auditor' })).body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = audit.filter((e) => e['chain'] === 'kan0' && e['outcome'] === 'done').map((e) => [e['action'], (e['details'] as Record<string, unknown>)['channel'], String(e['subject']).includes('console-operator')]);
    assert.deepEqual(done, [['halt', 'console', true], ['resume', 'console', true]]);
    await textUntil(page, '#audit-body', (s) => s.includes('halt') && s.includes('resume'), 'the switch in the audit panel');
  });

  test('a restart from the operator\'s console restarts qsen', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system && operator);
    const page = operator;
    const before = await system.status('qsen');
    await page.locator('#restart-qsen').click();
    await textUntil(page, '#notice', (s) => s.includes('Restart of qsen asked'), 'the restart notice');
    await waitFor(async () => {
      const now = await system?.status('qsen');
      return now !== undefined && now.invocation > before.invocation && now.state === 'running' && now.pid !== before.pid;
    }, { timeoutMs: DEADLINE_MS, intervalMs: 250, what: 'qsen restarted by the console' });
    const after = await system.status('qsen');
    await textUntil(page, '#nodes-body tr[data-node="qsen"]', (s) => s.includes(String(after.pid)), 'the new pid of qsen in the nodes panel');
    await screenshot(page, '4-operator-after-restart');
  });

  test('an auditor sees no halt, resume or restart control, and the kan refuses them from the auditor\'s page', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system && auditor);
    const page = auditor;
    await textUntil(page, '#who', (s) => s.includes('role auditor'), 'the auditor session line');
    await textUntil(page, '#nodes-body', (s) => s.includes('qsen') && s.includes('kan2'), 'the nodes panel');
    await textUntil(page, '#ks-state', (s) => s.includes('halted'), 'the kill switch state');
    assert.equal(await page.locator('#ks-controls').isVisible(), false, 'no halt or resume control');
    assert.equal(await page.locator('#ks-halt').isVisible(), false);
    assert.equal(await page.locator('button[id^="restart-"]').count(), 0, 'no restart button');
    await screenshot(page, '5-auditor');
    const before = await system.status('qsen');
    const tries = await page.evaluate(async () => {
      const post = async (path: string): Promise<[number, string]> => {
        const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const body = await res.json() as { error?: { code?: string } };
        return [res.status, body.error?.code ?? ''];
      };
      return [await post('/kan/v1/console/halt'), await post('/kan/v1/console/resume'), await post('/kan/v1/restart_qsen'), await post('/kan/v1/restart_kan?node=1')];
    });
    assert.deepEqual(tries, [[403, 'FORBIDDEN'], [403, 'FORBIDDEN'], [403, 'FORBIDDEN'], [403, 'FORBIDDEN']]);
    const status = JSON.parse((await system.call('qsen', '/qsen/v1/status', { identity: 'auditor' })).body) as { halted: boolean };
    assert.equal(status.halted, false);
    assert.equal((await system.status('qsen')).invocation, before.invocation);
    const refusals = (await system.call('kan0', '/kan/v1/audit?action=halt,resume', { identity: 'auditor' })).body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e['outcome'] === 'refused' && String(e['subject']).includes('console-auditor'));
    assert.deepEqual(refusals.map((e) => [e['action'], e['code']]), [['halt', 'FORBIDDEN'], ['resume', 'FORBIDDEN']]);
  });

  test('the console\'s headers: strict CSP, no cookie; cross-site and non-JSON state changes are refused', async (t) => {
    if (typeof tool !== 'string') return t.skip(tool.skip);
    assert.ok(system && operator);
    for (const path of ['/kan/v1/console/', '/kan/v1/console/assets/console.js', '/kan/v1/console/assets/console.css', '/kan/v1/console/session']) {
      const answer = await httpsCall(`${kan}${path}`, { ca: system.ca, identity: system.identity('operator') });
      assert.equal(answer.status, 200, `${path}: ${answer.body.slice(0, 200)}`);
      const csp = String(answer.headers['content-security-policy'] ?? '');
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(answer.headers['x-frame-options'], 'DENY');
      assert.equal(answer.headers['set-cookie'], undefined);
    }
    const page = await httpsCall(`${kan}/kan/v1/console/`, { ca: system.ca, identity: system.identity('operator') });
    assert.doesNotMatch(page.body, /<script>|<style|style="|onclick|https?:\/\//i, 'no inline script or style, no external asset');
    assert.equal((await httpsCall(`${kan}/kan/v1/console/`, { ca: system.ca, identity: system.identity('platform') })).status, 403);
    assert.equal((await httpsCall(`${kan}/kan/v1/console/assets/..%2Fconsole.js`, { ca: system.ca, identity: system.identity('operator') })).status, 404);
    assert.deepEqual(await contexts[0]?.cookies(), [], 'the console sets no cookie');

    const crossSite = await httpsCall(`${kan}/kan/v1/console/halt`, { method: 'POST', body: '{}', ca: system.ca, identity: system.identity('operator'), headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    assert.equal(errorCodeOf(crossSite), 'CROSS_SITE_REQUEST');
    const form = await httpsCall(`${kan}/kan/v1/console/halt`, { method: 'POST', body: '{}', ca: system.ca, identity: system.identity('operator'), headers: { 'content-type': 'text/plain' } });
    assert.equal(form.status, 415);
    assert.equal(errorCodeOf(form), 'JSON_BODY_REQUIRED');
    const status = JSON.parse((await system.call('qsen', '/qsen/v1/status', { identity: 'auditor' })).body) as { halted: boolean };
    assert.equal(status.halted, false, 'neither refused request halted qsen');
    assert.deepEqual(problems, [], 'no script error and no Content-Security-Policy violation in either page');
  });
});
