/**
 * The console's static files, read once from this package when kan mounts its console routes:
 * the page's compiled module scripts (src/page, built by `npm run build` into dist/src/page,
 * shipped with the release) and the stylesheet. Served from a fixed list, so a request can
 * never name a file outside it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CONSOLE_CSS } from './styles.js';

/** One static file. */
export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
}

/** The folder of the page's compiled scripts. */
export const PAGE_SCRIPTS_DIR = new URL('./page/', import.meta.url);

const SCRIPT_NAME = /^[a-z][a-z-]*\.js$/;

/** Loads the asset table: name -> file (every compiled page script, and console.css). */
export function loadConsoleAssets(dir: URL = PAGE_SCRIPTS_DIR): ReadonlyMap<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const name of readdirSync(dir)) {
    if (!SCRIPT_NAME.test(name)) continue;
    assets.set(name, { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL(name, dir)) });
  }
  assets.set('console.css', { type: 'text/css; charset=utf-8', body: Buffer.from(CONSOLE_CSS, 'utf8') });
  return assets;
}
