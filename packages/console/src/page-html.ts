/**
 * The console's one HTML page: plain, accessible markup (landmarks, headings, labelled tables
 * and controls, a skip link, live regions for what changes) that the page's module script
 * fills in. No inline script or style: the Content-Security-Policy (headers.ts) forbids both.
 */

/** Where the console's files are served from. */
export const CONSOLE_BASE = '/kan/v1/console';

/** The HTML of the console page served by kan `kan` (pure). */
export function renderConsolePage(kan: number): string {
  const asset = (name: string): string => `${CONSOLE_BASE}/assets/${name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>QSen console (kan ${kan})</title>
<link rel="stylesheet" href="${asset('console.css')}">
<script type="module" src="${asset('console.js')}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to the panels</a>
<header>
  <h1>QSen console <span class="muted">served by kan ${kan}</span></h1>
  <p id="who">Loading&hellip;</p>
  <p id="updated" class="muted" aria-live="off"></p>
</header>
<div id="notice" role="status" aria-live="polite" aria-atomic="true"></div>
<main id="main">
  <section id="nodes" aria-labelledby="nodes-h">
    <h2 id="nodes-h">Nodes</h2>
    <table>
      <caption class="visually-hidden">The four nodes as kan ${kan} sees them</caption>
      <thead><tr><th scope="col">node</th><th scope="col">state</th><th scope="col">pid</th><th scope="col">uptime</th><th scope="col">restarts</th><th scope="col">back-off</th><th scope="col">crash loop</th><th scope="col">actions</th></tr></thead>
      <tbody id="nodes-body"></tbody>
    </table>
  </section>
  <section id="window" aria-labelledby="window-h">
    <h2 id="window-h">Trading window</h2>
    <dl id="window-body"></dl>
  </section>
  <section id="killswitch" aria-labelledby="killswitch-h">
    <h2 id="killswitch-h">Kill switch</h2>
    <p id="ks-state">Loading&hellip;</p>
    <div id="ks-controls" role="group" aria-label="Halt or resume qsen's order flow" hidden>
      <label for="ks-reason">Reason (optional, written to the audit trail)</label>
      <input id="ks-reason" type="text" maxlength="500" autocomplete="off">
      <button type="button" id="ks-halt" class="danger">Halt order flow</button>
      <button type="button" id="ks-resume">Resume order flow</button>
    </div>
  </section>
  <section id="risk" aria-labelledby="risk-h">
    <h2 id="risk-h">Risk usage</h2>
    <p id="risk-state"></p>
    <table>
      <caption class="visually-hidden">Limits in force and today's usage</caption>
      <thead><tr><th scope="col">limit</th><th scope="col">scope</th><th scope="col">max</th><th scope="col">used</th><th scope="col">headroom</th><th scope="col">usage</th><th scope="col">source</th></tr></thead>
      <tbody id="risk-body"></tbody>
    </table>
  </section>
  <section id="logs" aria-labelledby="logs-h">
    <h2 id="logs-h">Logs</h2>
    <p><a id="logs-all" href="/kan/v1/logs?file=all" download>Download every log (.tar.gz)</a></p>
    <table>
      <caption class="visually-hidden">The log folder</caption>
      <thead><tr><th scope="col">file</th><th scope="col">size</th><th scope="col">modified</th><th scope="col">download</th></tr></thead>
      <tbody id="logs-body"></tbody>
    </table>
    <h3 id="tail-h">Tail</h3>
    <div role="group" aria-labelledby="tail-h" class="controls">
      <label for="tail-file">File</label>
      <select id="tail-file"></select>
      <input id="tail-follow" type="checkbox">
      <label for="tail-follow">Follow (new lines appear as they are written)</label>
    </div>
    <p id="tail-state" class="muted" aria-live="polite"></p>
    <pre id="tail-output" tabindex="0" aria-label="The end of the chosen log"></pre>
  </section>
  <section id="audit" aria-labelledby="audit-h">
    <h2 id="audit-h">Audit trail</h2>
    <p><span id="audit-verify">Not verified yet.</span> <button type="button" id="audit-verify-now">Verify the chains now</button></p>
    <table>
      <caption class="visually-hidden">The latest audited actions of the last 24 hours, newest first</caption>
      <thead><tr><th scope="col">time (UTC)</th><th scope="col">chain</th><th scope="col">action</th><th scope="col">subject</th><th scope="col">outcome</th><th scope="col">code</th></tr></thead>
      <tbody id="audit-body"></tbody>
    </table>
  </section>
  <section id="certificates" aria-labelledby="certificates-h">
    <h2 id="certificates-h">Certificate expiries</h2>
    <table>
      <caption class="visually-hidden">Certificates and the days left on each</caption>
      <thead><tr><th scope="col">certificate</th><th scope="col">subject</th><th scope="col">expires (UTC)</th><th scope="col">days left</th></tr></thead>
      <tbody id="certificates-body"></tbody>
    </table>
  </section>
</main>
</body>
</html>
`;
}
