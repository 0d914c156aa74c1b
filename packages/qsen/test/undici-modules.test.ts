// qsen loads undici's Pool and connector from their own modules (src/senebi/https-transport.ts,
// UNDICI_MODULES) instead of undici's root entry, which also loads fetch, WebSocket and the rest.
// They must stay the very exports of the root: an undici release that moves or replaces them
// fails here, not at qsen's start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { TLSSocket } from 'node:tls';
import * as undici from 'undici';
import { UNDICI_MODULES } from '../src/senebi/https-transport.js';

const load = createRequire(import.meta.url);

test('the Pool and buildConnector qsen loads are the ones undici exports', () => {
  assert.equal(load(UNDICI_MODULES.Pool), undici.Pool);
  assert.equal(load(UNDICI_MODULES.buildConnector), undici.buildConnector);
});

test('a process that loads the transport does not load the root entry of undici, nor fetch or WebSocket', () => {
  const transport = new URL('../src/senebi/https-transport.js', import.meta.url).href;
  const script = `import '${transport}'; import { createRequire } from 'node:module';
import { TLSSocket } from 'node:tls'; console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
  const undiciFiles = loaded.filter((file) => file.includes('/node_modules/undici/'));
  assert.ok(undiciFiles.some((file) => file.endsWith('/lib/dispatcher/pool.js')), 'the Pool module is loaded');
  assert.deepEqual(undiciFiles.filter((file) => file.endsWith('/undici/index.js') || /\/lib\/(web|mock|cache)\//.test(file)), []);
});

test('undici\'s connector answers the socket it makes (the transport keeps the TLS sessions SENEBI issues on it)', () => {
  const buildConnector = load(UNDICI_MODULES.buildConnector) as (options: object) => (target: object, callback: (err: Error | null) => void) => unknown;
  const connect = buildConnector({ timeout: 1000 });
  // A port nothing listens on: the socket is made and fails; only the return value matters here.
  const socket = connect({ hostname: '127.0.0.1', host: '127.0.0.1:9', protocol: 'https:', port: '9' }, () => undefined);
  assert.ok(socket instanceof TLSSocket, 'a TLSSocket is answered');
  socket.on('error', () => undefined);
  socket.destroy();
});
