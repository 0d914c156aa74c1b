// The simulator on a state folder laid out like `npm run init` does it: initClusterPki's
// senebi/ material and core's rendered local conf.toml; the agent identity is the encrypted
// key opened with its passphrase file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptPrivateKey, initClusterPki } from '@qsen/pki';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall, makeTempDir } from '@qsen/testkit';
import { startSimulator, type RunningSimulator } from '../src/index.js';

describe('a state folder made by init', () => {
  let dir: { path: string; remove: () => void };
  let sim: RunningSimulator;
  let port: number;

  before(async () => {
    dir = makeTempDir('qsen-sim-init-');
    initClusterPki(dir.path);
    port = await findFreePort();
    writeFileSync(join(dir.path, 'conf.toml'), renderConfigToml({ mode: 'local', senebiUrl: `https://127.0.0.1:${port}` }));
    sim = await startSimulator({ home: dir.path });
  });
  after(async () => {
    await sim?.close();
    dir.remove();
  });

  test("listens on conf.toml's senebi.url port and answers the agent identity from senebi/", async () => {
    assert.equal(sim.port, port);
    const senebi = join(dir.path, 'senebi');
    const passphrase = readFileSync(join(senebi, 'passphrase'), 'utf8').replace(/\r?\n$/, '');
    const key = decryptPrivateKey(readFileSync(join(senebi, 'agent.key.enc'), 'utf8'), passphrase);
    const answer = await httpsCall(`https://127.0.0.1:${port}/senebi/v1/ping`, {
      ca: readFileSync(join(senebi, 'ca.crt')),
      identity: { cert: readFileSync(join(senebi, 'agent.crt')), key },
    });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /"ok":true/);
  });

  test("the platform's cluster certificate is refused", async () => {
    const answer = httpsCall(`https://127.0.0.1:${port}/senebi/v1/ping`, {
      ca: readFileSync(join(dir.path, 'senebi', 'ca.crt')),
      identity: { cert: readFileSync(join(dir.path, 'pki', 'clients', 'platform.crt')), key: readFileSync(join(dir.path, 'pki', 'clients', 'platform.key')) },
    });
    await assert.rejects(answer);
  });
});
