/**
 * Where the managed programs are: each package's compiled main, found through its package.json
 * (so the workspace layout, not a hard-coded path, decides), and node_exporter's Debian binary.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The compiled mains of the three node programs. */
export interface EntryPoints {
  readonly simulator: string;
  readonly qsen: string;
  readonly kan: string;
}

/** The Debian package's node_exporter binary. */
export const NODE_EXPORTER_BINARY = '/usr/bin/prometheus-node-exporter';

const require = createRequire(import.meta.url);

function mainOf(packageName: string): string {
  return join(dirname(require.resolve(`${packageName}/package.json`)), 'dist', 'src', 'main.js');
}

/** Resolves `dist/src/main.js` of @qsen/simulator, @qsen/qsen and @qsen/kan. */
export function resolveEntryPoints(): EntryPoints {
  return { simulator: mainOf('@qsen/simulator'), qsen: mainOf('@qsen/qsen'), kan: mainOf('@qsen/kan') };
}

/** The node_exporter binary when installed, else null. */
export function findNodeExporter(binary: string = NODE_EXPORTER_BINARY): string | null {
  return existsSync(binary) ? binary : null;
}
