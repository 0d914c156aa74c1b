#!/usr/bin/env node
// A minimal SENEBI stand-in for the qsen benchmark (issue 17): mutual TLS with the state folder's
// SENEBI server certificate and CA (the agent's certificate required), keep-alive, and answers
// in the simulator's wire format computed from the request alone: POST /senebi/v1/orders echoes
// the order as accepted; GET listings answer empty lists; GET of one order is 404; ping answers.
// No store, no journal, no log: what it costs is the floor any SENEBI costs, so qsen's own cost
// shows alone when it is put behind it. The id is copied as text, never through a JS number.
// Usage: node bench/qsen/stand-in.mjs --home STATE_FOLDER --port N   (prints "listening PORT")
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';

const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(`--${name}`) + 1];
const home = arg('home');
const server = createServer({
  ca: readFileSync(join(home, 'senebi/ca.crt')),
  cert: readFileSync(join(home, 'senebi/server.crt')),
  key: readFileSync(join(home, 'senebi/server.key')),
  requestCert: true,
  rejectUnauthorized: true,
  keepAliveTimeout: 5000,
}, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const send = (status, text) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const url = req.url ?? '';
    if (req.method === 'POST' && url === '/senebi/v1/orders') {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = /"id"\s*:\s*"?(\d+)"?/.exec(body)?.[1];
      if (id === undefined) return send(400, '{"error": "invalid_request"}');
      const time = new Date().toISOString();
      // The body's other fields as sent, then the exchange's own.
      const rest = body.trim().replace(/^\{/, '').replace(/\}$/, '').replace(/"id"\s*:\s*"?\d+"?\s*,?/, '');
      return send(200, `{"order": {"id": "${id}", ${rest.trim().replace(/,$/, '')}${rest.trim() ? ',' : ''} "status": "accepted", "time": "${time}", "tradeDate": "${time.slice(0, 10)}", "origin": "agent"}}`);
    }
    if (req.method === 'GET' && url.startsWith('/senebi/v1/orders/')) return send(404, '{"error": "order_not_found"}');
    if (req.method === 'GET' && url.startsWith('/senebi/v1/orders')) return send(200, '{"orders": []}');
    if (req.method === 'GET' && url.startsWith('/senebi/v1/operations')) return send(200, '{"operations": []}');
    if (req.method === 'GET' && url.startsWith('/senebi/v1/ping')) return send(200, `{"status": "ok", "time": "${new Date().toISOString()}"}`);
    return send(404, '{"error": "not_found"}');
  });
});
server.listen(Number(arg('port')), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
