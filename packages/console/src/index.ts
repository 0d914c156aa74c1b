// @qsen/console: the browser console's client side (docs/console.md). The page's module scripts
// (src/page, compiled for the browser into dist/src/page), its stylesheet and its one HTML page;
// kan's routes/console.ts serves them from the fixed list loadConsoleAssets builds. The server
// routes, headers and the console's API stay in @qsen/kan.
export { CONSOLE_BASE, renderConsolePage } from './page-html.js';
export { CONSOLE_CSS } from './styles.js';
export { loadConsoleAssets, PAGE_SCRIPTS_DIR, type ConsoleAsset } from './assets.js';
