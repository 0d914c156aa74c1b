/**
 * Where the simulator's process entry point lives, for launchers and tests that spawn it.
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of the compiled main.js (`node SIMULATOR_MAIN_PATH --home DIR [--port N]`). */
export const SIMULATOR_MAIN_PATH = fileURLToPath(new URL('../main.js', import.meta.url));
