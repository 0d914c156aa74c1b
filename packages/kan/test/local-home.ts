/** A state folder for tests that run a real kan process: cluster PKI, a local-mode conf.toml on free ports, logs/ and run/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initClusterPki } from '@qsen/pki';
import { loadConfig, type QsenConfig } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, moveDailyRestartAway } from '@qsen/testkit';

/** Fills `home` and returns its conf.toml path and loaded configuration. */
export async function makeLocalHome(home: string): Promise<{ confFile: string; config: QsenConfig }> {
  initClusterPki(home);
  const confFile = join(home, 'conf.toml');
  writeFileSync(confFile, renderConfigToml({
    mode: 'local', qsenPort: await findFreePort(), kanPorts: [await findFreePort(), await findFreePort(), await findFreePort()],
    nodeExporterUrl: `http://127.0.0.1:${await findFreePort()}`, listen: '127.0.0.1',
  }));
  moveDailyRestartAway(confFile); // no daily self-restart during the test, whatever the hour
  const config = loadConfig(confFile);
  mkdirSync(config.paths.logs, { recursive: true });
  mkdirSync(config.paths.run, { recursive: true });
  return { confFile, config };
}
