/**
 * The console page's script (a module, loaded from this kan's own origin): it reads the kan API
 * the caller's certificate already opens (status, logs, logs/tail, audit, audit/verify) and the
 * console's own routes (session, qsen), polls them, and draws each panel with text nodes only.
 * Halt, resume and restarts are POSTs with a JSON body to the same origin (the browser sends
 * Sec-Fetch-Site: same-origin and this origin, which the kan's cross-site refusal lets through).
 */
import { badge, byId, el, fillList, fillRows } from './dom.js';
import { keepLastLines, planFollowStep } from './follow.js';
import { formatBytes, formatDuration, formatInZone, formatUtc } from './format.js';

type Json = Record<string, unknown>;

const STATUS_EVERY_MS = 2000;
const SLOW_EVERY_MS = 5000;
const VERIFY_EVERY_MS = 30_000;
const FOLLOW_EVERY_MS = 1000;
const FOLLOW_WINDOW_BYTES = 65_536;
const TAIL_LINES = 200;
const SHOWN_LINES = 2000;
const AUDIT_SHOWN = 50;

const obj = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Json : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown, fallback = '—'): string => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : fallback);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** An answer that is not 2xx, with the contract's error code when the body has one. */
class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function failureOf(res: Response): Promise<ApiFailure> {
  const text = await res.text().catch(() => '');
  try {
    const error = obj(obj(JSON.parse(text))['error']);
    return new ApiFailure(res.status, str(error['code'], `HTTP_${res.status}`), str(error['message'], res.statusText));
  } catch {
    return new ApiFailure(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText);
  }
}

async function getJson(path: string): Promise<Json> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw await failureOf(res);
  return obj(await res.json());
}

async function postJson(path: string, body: Json): Promise<Json> {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
  if (!res.ok) throw await failureOf(res);
  return obj(await res.json());
}

function describeError(err: unknown): string {
  if (err instanceof ApiFailure) return `${err.code} (${err.status}): ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Shows a message in the live region (screen readers announce it). */
function notify(text: string, error = false): void {
  const notice = byId('notice');
  notice.className = error ? 'error' : '';
  notice.textContent = text;
}

let session: Json = {};
let status: Json = {};
let qsen: Json = {};
let nodes: Json = {};

/** Both zones of an instant, as the window panel and the kill switch show it. */
function bothZones(ms: number): string {
  const zone = str(obj(session['schedule'])['timezone'], 'UTC');
  return `${formatInZone(ms, zone)} (${formatUtc(ms)})`;
}

function drawSession(): void {
  byId('who').textContent = `Signed in by certificate as ${str(session['subject'])}, role ${str(session['role'])}.`;
  byId('ks-controls').hidden = session['mayHalt'] !== true;
  document.title = `QSen console (kan ${str(session['kan'])}, ${str(session['role'])})`;
}

async function restart(target: string): Promise<void> {
  const path = target === 'qsen' ? '/kan/v1/restart_qsen' : `/kan/v1/restart_kan?node=${encodeURIComponent(target.slice(3))}`;
  try {
    const ticket = await postJson(path, {});
    notify(`Restart of ${target} asked: ${str(ticket['state'] ?? ticket['outcome'] ?? ticket['status'], 'accepted')} (request ${str(ticket['requestId'])}).`);
  } catch (err) {
    notify(`Restart of ${target} refused: ${describeError(err)}`, true);
  }
  await Promise.all([refreshStatus(), verifyAudit()]);
}

function restartButton(target: string): HTMLElement | string {
  if (session['mayRestart'] !== true) return '';
  const button = el('button', { type: 'button', id: `restart-${target}`, 'aria-label': `Restart ${target}` }, 'Restart');
  button.addEventListener('click', () => {
    button.disabled = true;
    void restart(target).finally(() => { button.disabled = false; });
  });
  return button;
}

function restartsOf(name: string): string {
  const history = obj(obj(status['restartHistory'])[name]);
  const events = arr(history['events']).map(obj).filter((e) => e['action'] === 'restart' || e['action'] === 'start');
  if (events.length === 0) return '0';
  const last = str(events[events.length - 1]?.['at']);
  return `${events.length}${events.length >= 10 ? '+' : ''} (last ${last === '—' ? last : formatUtc(Date.parse(last))})`;
}

function backoffText(streak: number, allowedAt: unknown): string {
  if (streak === 0 && typeof allowedAt !== 'string') return 'none';
  return `streak ${streak}${typeof allowedAt === 'string' ? `, next restart allowed ${formatUtc(Date.parse(allowedAt))}` : ''}`;
}

/** One node's row: its ping (pid, uptime, reachable) and this kan's watchdog view of it (verdict, back-off). */
function drawNodes(): void {
  const self = `kan${str(obj(status['node'])['index'])}`;
  const targets = new Map(arr(status['targets']).map(obj).map((t) => [str(t['name']), t]));
  const rows = arr(nodes['nodes']).map(obj).map((ping) => {
    const name = str(ping['name']);
    const target = targets.get(name) ?? {};
    const backoff = obj(target['backoff']);
    const verdict = name === self ? 'serving this page' : str(target['verdict'], 'not watched');
    const up = ping['reachable'] === true;
    const state = up ? `up · ${verdict}` : `down · ${str(ping['error'])}`;
    const history = obj(obj(status['restartHistory'])[name]);
    const streak = num(backoff['streak']) ?? num(history['streak']) ?? 0;
    return {
      attrs: { 'data-node': name },
      cells: [name === self ? `${name} (this kan)` : name, badge(state, !up ? 'bad' : verdict === 'healthy' || name === self ? 'ok' : 'warn'),
        up ? str(ping['pid']) : '—', up ? formatDuration(num(ping['uptimeSeconds']) ?? Number.NaN) : '—', restartsOf(name),
        backoffText(streak, backoff['nextRestartAllowedAt']), name === self ? '—' : backoff['crashLoop'] === true ? badge('yes', 'bad') : 'no', restartButton(name)],
    };
  });
  fillRows(byId('nodes-body'), rows, 'No node seen yet.', 8);
}

function drawWindow(): void {
  const schedule = obj(session['schedule']);
  const view = obj(status['schedule']);
  const window = obj(view['window']);
  const next = obj(view['nextScheduledAction']);
  const zone = str(schedule['timezone'], 'UTC');
  const now = Date.now();
  const open = window['open'] === true;
  const hours = schedule['allDay'] === true ? 'all day (00:00 to 24:00)' : `${str(schedule['start'])} to ${str(schedule['stop'])}`;
  const nextAt = typeof next['at'] === 'string' ? Date.parse(next['at']) : Number.NaN;
  const nextText = schedule['alwaysOpen'] === true
    ? 'none: the window is open all day, every day'
    : Number.isFinite(nextAt) ? `${str(next['action'])} at ${formatInZone(nextAt, zone)}, ${formatUtc(nextAt)}` : '—';
  const daily = typeof view['dailyRestartAt'] === 'string' ? Date.parse(view['dailyRestartAt']) : Number.NaN;
  fillList(byId('window-body'), [
    ['now', badge(open ? 'open: qsen runs' : `closed (${str(window['reason'])}): qsen stays down`, open ? 'ok' : 'warn')],
    ['time zone', zone],
    [`time in ${zone}`, formatInZone(now, zone)],
    ['time in UTC', formatUtc(now)],
    ['hours', `${hours} on ${arr(schedule['days']).map((d) => str(d)).join(', ')}`],
    ['holidays', arr(schedule['holidays']).length === 0 ? 'none' : arr(schedule['holidays']).map((d) => str(d)).join(', ')],
    ['next change', nextText],
    ['daily kan restart', Number.isFinite(daily) ? `${formatInZone(daily, zone)}, ${formatUtc(daily)}` : '—'],
  ]);
}

function drawKillSwitch(): void {
  const state = byId('ks-state');
  const halt = byId<HTMLButtonElement>('ks-halt');
  const resume = byId<HTMLButtonElement>('ks-resume');
  if (qsen['reachable'] !== true) {
    state.replaceChildren(badge('unknown', 'warn'), ` qsen's view could not be read: ${str(qsen['error'])}. Halt and resume still work (they write qsen's halt marker).`);
    state.dataset['halted'] = 'unknown';
    halt.disabled = false;
    resume.disabled = false;
    return;
  }
  const view = obj(qsen['view']);
  const ks = obj(view['killSwitch']);
  const halted = ks['halted'] === true;
  state.dataset['halted'] = String(halted);
  const accepting = view['acceptingOrders'] === true;
  const why = arr(view['notAccepting']).map((c) => str(c)).join(', ');
  if (halted) {
    const since = typeof ks['since'] === 'string' ? bothZones(Date.parse(ks['since'])) : 'an unknown time';
    state.replaceChildren(badge('HALTED', 'bad'), ` since ${since} by ${str(ks['by'], 'unknown')}${typeof ks['reason'] === 'string' ? `: ${ks['reason']}` : ''}. qsen refuses every new order.`);
  } else {
    state.replaceChildren(badge('not halted', 'ok'), accepting ? ' qsen accepts orders.' : ` qsen does not take orders now: ${why}.`);
  }
  halt.disabled = halted;
  resume.disabled = !halted;
}

async function switchKill(action: 'halt' | 'resume'): Promise<void> {
  const reasonInput = byId<HTMLInputElement>('ks-reason');
  const reason = reasonInput.value.trim();
  try {
    await postJson(`/kan/v1/console/${action}`, reason === '' ? {} : { reason });
    notify(action === 'halt' ? 'qsen is halted: every new order is refused.' : 'qsen is resumed: orders are taken again (inside the trading window).');
    reasonInput.value = '';
  } catch (err) {
    notify(`${action === 'halt' ? 'Halt' : 'Resume'} refused: ${describeError(err)}`, true);
  }
  await Promise.all([refreshStatus(), verifyAudit()]);
}

function drawRisk(): void {
  const risk = obj(obj(qsen['view'])['risk']);
  const limits = arr(risk['limits']).map(obj);
  byId('risk-state').textContent = qsen['reachable'] === true ? `${limits.length} limit${limits.length === 1 ? '' : 's'} in force.` : 'qsen is not reachable: no figures.';
  const rows = limits.map((limit) => {
    const ratio = num(limit['usageRatio']);
    const usage = ratio === undefined ? 'per order' : `${(ratio * 100).toFixed(1)} %`;
    return {
      attrs: { 'data-limit': str(limit['limit']) },
      cells: [str(limit['limit']), str(limit['scope']), str(limit['max']), str(limit['used']), str(limit['headroom']),
        ratio === undefined ? usage : badge(usage, ratio >= 0.9 ? 'bad' : ratio >= 0.7 ? 'warn' : 'ok'),
        `${str(limit['source'])}${limit['override'] !== undefined ? ` (override by ${str(obj(limit['override'])['by'])})` : ''}`],
    };
  });
  fillRows(byId('risk-body'), rows, 'No limit in force.', 7);
}

function drawCertificates(): void {
  const rows: Array<{ cells: Array<Node | string> }> = [];
  const days = (left: unknown): Node | string => {
    const n = num(left);
    return n === undefined ? '—' : badge(String(n), n < 14 ? 'bad' : n < 30 ? 'warn' : 'ok');
  };
  for (const [label, value] of Object.entries(obj(status['certificates']))) {
    const cert = obj(value);
    rows.push({ cells: [label === 'ca' ? 'cluster CA' : label === 'server' ? 'server (every node)' : label, str(cert['subject'], str(cert['error'])), typeof cert['notAfter'] === 'string' ? formatUtc(Date.parse(cert['notAfter'])) : '—', days(cert['daysLeft'])] });
  }
  const client = obj(session['client']);
  rows.push({ cells: ['your client certificate', str(session['subject']), typeof client['notAfter'] === 'string' ? formatUtc(Date.parse(client['notAfter'])) : '—', days(client['daysLeft'])] });
  fillRows(byId('certificates-body'), rows, 'No certificate.', 4);
}

async function refreshStatus(): Promise<void> {
  const [s, q, n] = await Promise.allSettled([getJson('/kan/v1/status'), getJson('/kan/v1/console/qsen'), getJson('/kan/v1/console/nodes')]);
  if (s.status === 'fulfilled') status = s.value;
  if (q.status === 'fulfilled') qsen = q.value;
  if (n.status === 'fulfilled') nodes = n.value;
  const failed = [s, q, n].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) notify(`Could not refresh: ${failed.map((f) => describeError(f.reason)).join('; ')}`, true);
  drawNodes();
  drawWindow();
  drawKillSwitch();
  drawRisk();
  drawCertificates();
  byId('updated').textContent = `Updated ${formatUtc(Date.now())}.`;
}

// ---- logs and the followed tail ----

let logNames: string[] = [];

async function refreshLogs(): Promise<void> {
  const res = await fetch('/kan/v1/logs', { cache: 'no-store' });
  if (!res.ok) throw await failureOf(res);
  const list = arr(await res.json()).map(obj);
  logNames = list.map((entry) => str(entry['name']));
  fillRows(byId('logs-body'), list.map((entry) => {
    const name = str(entry['name']);
    const link = el('a', { href: `/kan/v1/logs?file=${encodeURIComponent(name)}`, download: name, 'aria-label': `Download ${name}` }, 'download');
    return { attrs: { 'data-log': name }, cells: [name, formatBytes(num(entry['size']) ?? 0), typeof entry['modified'] === 'string' ? formatUtc(Date.parse(entry['modified'])) : '—', link] };
  }), 'The log folder is empty.', 4);
  const select = byId<HTMLSelectElement>('tail-file');
  const chosen = select.value;
  const options = logNames.map((name) => el('option', { value: name }, name));
  select.replaceChildren(el('option', { value: '' }, '(choose a log)'), ...options);
  select.value = logNames.includes(chosen) ? chosen : '';
}

const follow = { file: '', end: null as number | null, timer: undefined as number | undefined, busy: false };
const decoder = new TextDecoder('utf-8');

async function readTail(file: string, query: string): Promise<{ start: number; end: number; bytes: Uint8Array }> {
  const res = await fetch(`/kan/v1/logs/tail?file=${encodeURIComponent(file)}&${query}`, { cache: 'no-store' });
  if (!res.ok) throw await failureOf(res);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const end = Number(res.headers.get('X-File-Size'));
  const start = Number(res.headers.get('X-Tail-Start'));
  return { start: Number.isFinite(start) ? start : end - bytes.length, end, bytes };
}

async function pollTail(): Promise<void> {
  if (follow.busy || follow.file === '') return;
  follow.busy = true;
  const file = follow.file;
  const output = byId('tail-output');
  try {
    const answer = await readTail(file, follow.end === null ? `lines=${TAIL_LINES}` : `bytes=${FOLLOW_WINDOW_BYTES}`);
    if (file !== follow.file) return;
    const step = planFollowStep(follow.end, answer);
    follow.end = step.end;
    const text = decoder.decode(answer.bytes.subarray(step.from));
    if (step.reset) output.textContent = text;
    else if (step.skipped > 0 || text !== '') output.textContent = keepLastLines(`${output.textContent ?? ''}${step.skipped > 0 ? `\n[… ${step.skipped} bytes written faster than the page could follow]\n` : ''}${text}`, SHOWN_LINES);
    if (text !== '' || step.reset) output.scrollTop = output.scrollHeight;
    byId('tail-state').textContent = `${file}: ${formatBytes(step.end)}${byId<HTMLInputElement>('tail-follow').checked ? ', following' : ''}.`;
  } catch (err) {
    byId('tail-state').textContent = `Tail of ${file} failed: ${describeError(err)} (retrying).`;
  } finally {
    follow.busy = false;
  }
}

function restartTail(): void {
  window.clearInterval(follow.timer);
  follow.timer = undefined;
  follow.file = byId<HTMLSelectElement>('tail-file').value;
  follow.end = null;
  byId('tail-output').textContent = '';
  if (follow.file === '') { byId('tail-state').textContent = ''; return; }
  void pollTail();
  if (byId<HTMLInputElement>('tail-follow').checked) follow.timer = window.setInterval(() => void pollTail(), FOLLOW_EVERY_MS);
}

// ---- audit trail ----

async function refreshAudit(): Promise<void> {
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const res = await fetch(`/kan/v1/audit?from=${encodeURIComponent(from)}&limit=100000`, { cache: 'no-store' });
  if (!res.ok) throw await failureOf(res);
  const entries = (await res.text()).split('\n').filter((line) => line.trim() !== '').map((line) => obj(JSON.parse(line))).filter((e) => e['truncated'] !== true);
  const latest = entries.slice(-AUDIT_SHOWN).reverse();
  fillRows(byId('audit-body'), latest.map((e) => ({
    attrs: { 'data-action': str(e['action']), 'data-outcome': str(e['outcome']) },
    cells: [typeof e['timestamp'] === 'string' ? formatUtc(Date.parse(e['timestamp'])) : '—', str(e['chain']), str(e['action']), str(e['subject']),
      badge(str(e['outcome']), e['outcome'] === 'refused' || e['outcome'] === 'failed' ? 'warn' : 'ok'), str(e['code'], '')],
  })), 'Nothing audited in the last 24 hours.', 6);
}

async function verifyAudit(): Promise<void> {
  const target = byId('audit-verify');
  try {
    const report = await getJson('/kan/v1/audit/verify');
    const chains = arr(report['chains']).map(obj);
    const lines = chains.reduce((sum, c) => sum + (num(c['lines']) ?? 0), 0);
    if (report['ok'] === true) {
      target.replaceChildren(badge('verified', 'ok'), ` every chain is intact: ${chains.length} chain${chains.length === 1 ? '' : 's'}, ${lines} line${lines === 1 ? '' : 's'} (checked ${formatUtc(Date.now())}).`);
    } else {
      const broken = chains.filter((c) => c['ok'] !== true).map((c) => {
        const first = obj(c['firstBreak']);
        return `${str(c['chain'])}${first['file'] !== undefined ? ` at ${str(first['file'])}:${str(first['line'])} (${str(first['kind'])})` : ''}`;
      });
      target.replaceChildren(badge('BROKEN', 'bad'), ` ${broken.join('; ')}.`);
    }
    target.dataset['ok'] = String(report['ok'] === true);
  } catch (err) {
    target.replaceChildren(badge('not verified', 'warn'), ` ${describeError(err)}`);
  }
}

// ---- start ----

/** Runs `task` now and then every `everyMs`, never two at a time; a failure is shown, not fatal. */
function every(everyMs: number, task: () => Promise<void>, label: string): void {
  const run = async (): Promise<void> => {
    try {
      await task();
    } catch (err) {
      notify(`${label}: ${describeError(err)}`, true);
    }
    window.setTimeout(() => void run(), everyMs);
  };
  void run();
}

async function start(): Promise<void> {
  try {
    session = await getJson('/kan/v1/console/session');
  } catch (err) {
    byId('who').textContent = `This certificate may not use the console: ${describeError(err)}`;
    return;
  }
  drawSession();
  byId('ks-halt').addEventListener('click', () => void switchKill('halt'));
  byId('ks-resume').addEventListener('click', () => void switchKill('resume'));
  byId('tail-file').addEventListener('change', restartTail);
  byId('tail-follow').addEventListener('change', restartTail);
  byId('audit-verify-now').addEventListener('click', () => void verifyAudit());
  every(STATUS_EVERY_MS, refreshStatus, 'Status');
  every(SLOW_EVERY_MS, refreshLogs, 'Logs');
  every(SLOW_EVERY_MS, refreshAudit, 'Audit trail');
  every(VERIFY_EVERY_MS, verifyAudit, 'Audit verification');
  document.body.dataset['ready'] = 'true';
}

void start();
