// Waits until one node answers its loopback ping: deploy/install.sh's controlled restart.
//   node wait-ready.mjs RELEASE_DIR CONF NODE TIMEOUT_S     (NODE: qsen, 0, 1 or 2)
// The port comes from CONF (read with the release's own configuration loader); the server
// certificate is checked against the cluster CA named there. Exit 0 once {"ok": true} came
// back, 1 when TIMEOUT_S passed first (each attempt has its own 2 s deadline).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [releaseDir, confFile, node, timeoutText] = process.argv.slice(2);
if (!releaseDir || !confFile || !/^(qsen|[0-2])$/.test(node ?? '') || !/^[1-9][0-9]*$/.test(timeoutText ?? '')) {
  process.stderr.write('usage: wait-ready.mjs RELEASE_DIR CONF qsen|0|1|2 TIMEOUT_S\n');
  process.exit(2);
}
const { loadConfig } = await import(pathToFileURL(join(releaseDir, 'packages/core/dist/src/index.js')).href);
const config = loadConfig(confFile);
const port = node === 'qsen' ? config.server.qsen_port : config.server.kan_ports[Number(node)];
const path = node === 'qsen' ? '/qsen/v1/ping' : '/kan/v1/ping';
const ca = readFileSync(config.tls.ca);
const deadline = Date.now() + Number(timeoutText) * 1000;

/** One ping: true when the node answered 200 with {"ok": true}. */
function ping() {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', timeout: 2000, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', () => resolve(false));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && JSON.parse(Buffer.concat(chunks).toString('utf8')).ok === true);
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

for (;;) {
  if (await ping()) process.exit(0);
  if (Date.now() >= deadline) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
process.stderr.write(`wait-ready: ${node === 'qsen' ? 'qsen' : `kan ${node}`} did not answer https://127.0.0.1:${port}${path} within ${timeoutText} s\n`);
process.exit(1);
