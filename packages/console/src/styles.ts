/**
 * The console's stylesheet, served as /kan/v1/console/assets/console.css. Plain system fonts,
 * text at least 4.5:1 against its background (WCAG AA), a visible focus ring for keyboard use.
 */
export const CONSOLE_CSS = `
:root { color-scheme: light; --fg: #1b1b1b; --muted: #4a4a4a; --bg: #ffffff; --panel: #f4f5f7; --line: #8a8f98;
  --accent: #0b4fa8; --danger: #a1001b; --ok: #0a5c2b; --warn: #7a4a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 80rem; margin: 0 auto; padding: 0.5rem 1rem; }
h1 { font-size: 1.4rem; margin: 0.5rem 0; }
h2 { font-size: 1.15rem; margin: 0 0 0.5rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1rem; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0.75rem; min-width: 0; overflow-x: auto; }
#nodes, #risk, #logs, #audit { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; }
pre:empty { display: none; }
pre { background: #101418; color: #f0f0f0; padding: 0.5rem; max-height: 24rem; overflow: auto; white-space: pre-wrap; word-break: break-all; font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
button { font: inherit; padding: 0.35rem 0.8rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #ffffff; cursor: pointer; }
button.danger { background: var(--danger); border-color: var(--danger); }
button:disabled { background: #d8d8d8; color: #333333; border-color: #8a8f98; cursor: not-allowed; }
input, select { font: inherit; padding: 0.25rem; border: 1px solid var(--line); border-radius: 3px; background: #ffffff; color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #e8a100; outline-offset: 2px; }
.controls, [role="group"] { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin: 0.5rem 0; }
.muted { color: var(--muted); font-weight: normal; font-size: 0.9em; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--danger); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
#notice:not(:empty) { max-width: 80rem; margin: 0.5rem auto; padding: 0.5rem 1rem; border: 2px solid var(--accent); background: #eef4fc; }
#notice.error { border-color: var(--danger); background: #fcefef; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: #ffffff; padding: 0.25rem 0.5rem; z-index: 1; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
`;
