// The SENEBI transport resumes the TLS session SENEBI issued on its next connection, even after a
// garbage collection (src/senebi/https-transport.ts: undici's own session cache holds a session
// only through a WeakRef). Real mutual TLS against a real HTTPS server on port 0, certificates
// made by initClusterPki; the server counts the handshakes that resumed a session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { initClusterPki, decryptPrivateKey } from '@qsen/pki';
import { makeTempDir } from '@qsen/testkit';
import { createHttpsTransport } from '../src/senebi/https-transport.js';
import type { SenebiTransport } from '../src/senebi/transport.js';

const dir = makeTempDir('qsen-resume-');
const sockets = new Set<Socket>();
const seen = { accepted: 0, resumed: 0 };
let server: Server;
let transport: SenebiTransport;

before(async () => {
  initClusterPki(dir.path);
  const read = (rel: string): string => readFileSync(join(dir.path, rel), 'utf8');
  server = createServer({ ca: read('senebi/ca.crt'), cert: read('senebi/server.crt'), key: read('senebi/server.key'), requestCert: true, rejectUnauthorized: true, keepAliveTimeout: 5000 }, (req, res) => {
    req.resume();
    // Slow enough that two calls at once need two connections.
    req.on('end', () => setTimeout(() => res.end('{}'), 50));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    seen.accepted += 1;
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (tls: TLSSocket) => {
    if (tls.isSessionReused()) seen.resumed += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const key = decryptPrivateKey(read('senebi/agent.key.enc'), read('senebi/passphrase').replace(/\r?\n$/, ''));
  transport = createHttpsTransport({ url: `https://127.0.0.1:${port}`, ca: read('senebi/ca.crt'), cert: read('senebi/agent.crt'), key, timeoutMs: 20_000, maxSockets: 4 });
});

after(() => {
  transport.close();
  server.close();
  for (const socket of sockets) socket.destroy();
  dir.remove();
});

test('a new connection resumes the TLS session SENEBI issued, even after a garbage collection', { timeout: 60_000 }, async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ping = (): Promise<{ status: number }> => transport.send({ method: 'GET', path: '/senebi/v1/ping' });
  assert.equal((await ping()).status, 200);
  assert.equal(seen.resumed, 0, 'the first connection makes a full handshake');
  // Let the ticket arrive, then collect: undici's own cache holds sessions only weakly.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
  // Two at once: the idle connection serves one, a new connection is made for the other.
  const both = await Promise.all([ping(), ping()]);
  assert.deepEqual(both.map((r) => r.status), [200, 200]);
  assert.equal(seen.accepted, 2, 'a second connection was made');
  assert.equal(seen.resumed, 1, 'the second connection resumed the session');
});
