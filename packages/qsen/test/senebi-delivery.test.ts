// The SENEBI adapter's delivery verdict under faults at the socket level. Its essential
// property: `not_sent` is a proof that SENEBI never read a byte of the request (or read it and
// refused it with a 4xx other than 409). Real TLS servers
// on port 0 misbehave on purpose (nothing listening, a TCP reset before the handshake, a
// handshake that never ends, a server certificate from another CA, a refused client certificate,
// a reset after reading N bytes of the request, a close after the whole request, no answer, a
// truncated answer, 5xx/4xx/409 answers); each counts the request bytes it read. fast-check runs
// random sequences of these against kept-alive clients and checks every verdict against what
// the server saw. The pure rules (delivery.ts) are checked with literal inputs first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiError, toUint64 } from '@qsen/core';
import { initClusterPki, decryptPrivateKey } from '@qsen/pki';
import { findFreePort, issueWithOpenssl, makeTempDir, requireTool, runOpensslCli } from '@qsen/testkit';
import { createSenebiClient, type SenebiClient } from '../src/senebi/client.js';
import { deliveryOfFailure, deliveryOfStatus, shouldRetryAtOnce, HANDSHAKE_REFUSAL_CODES } from '../src/senebi/delivery.js';
import type { OrderContent } from '../src/orders/order.js';

describe('delivery rules (pure)', () => {
  test('a failure before the request was written is not_sent, whatever its code; after, only a handshake refusal is', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'ERR_SSL_WRONG_VERSION_NUMBER', 'unknown']) {
      assert.equal(deliveryOfFailure({ written: false, code }), 'not_sent', code);
    }
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'ERR_SSL_WRONG_VERSION_NUMBER', 'unknown']) {
      assert.equal(deliveryOfFailure({ written: true, code }), 'unknown', code);
    }
    for (const code of HANDSHAKE_REFUSAL_CODES) assert.equal(deliveryOfFailure({ written: true, code }), 'not_sent', code);
  });

  test('4xx but 409 is a refusal (not_sent); 409, 5xx and odd statuses leave the fate open', () => {
    assert.deepEqual([400, 401, 403, 404, 422, 429, 499].map(deliveryOfStatus), Array(7).fill('not_sent'));
    assert.deepEqual([409, 500, 502, 503, 504, 599, 302, 101, 0].map(deliveryOfStatus), Array(9).fill('unknown'));
  });

  test('only reads and cancels are sent again, once, and only after a reset', () => {
    assert.equal(shouldRetryAtOnce('getOrder', { timedOut: false, code: 'ECONNRESET' }, 1), true);
    assert.equal(shouldRetryAtOnce('cancelOrder', { timedOut: false, code: 'UND_ERR_SOCKET' }, 1), true);
    assert.equal(shouldRetryAtOnce('getOrder', { timedOut: false, code: 'ECONNRESET' }, 2), false, 'once only');
    assert.equal(shouldRetryAtOnce('placeOrder', { timedOut: false, code: 'ECONNRESET' }, 1), false, 'never a placement');
    assert.equal(shouldRetryAtOnce('getOrder', { timedOut: true, code: 'ECONNRESET' }, 1), false, 'never after the deadline');
    assert.equal(shouldRetryAtOnce('listOrders', { timedOut: false, code: 'ECONNREFUSED' }, 1), false, 'not a reset');
  });
});

/** What one fault server does with a request (HTTP-level kinds) or a connection (TLS-level kinds). */
type Fault =
  | 'ok' | 'reset_after_bytes' | 'close_after_request' | 'no_answer' | 'truncated_answer' | 'answer_500' | 'answer_400' | 'answer_409'
  | 'refused' | 'tcp_reset' | 'handshake_hang' | 'foreign_server_cert' | 'client_cert_refused' | 'client_cert_refused_tls12';

/**
 * The verdicts each fault may give (`placed`: a normal answer). A client certificate refused
 * under TLS 1.3 may show either: the client writes the request after its Finished, before the
 * server judged the certificate, and the refusal arrives as the alert (not_sent) or as a plain
 * close ("other side closed", UND_ERR_SOCKET), which proves nothing (unknown). Under TLS 1.2 the
 * refusal comes inside the handshake, before the request is written.
 */
const EXPECTED: Record<Fault, ReadonlyArray<'placed' | 'not_sent' | 'unknown'>> = {
  ok: ['placed'], reset_after_bytes: ['unknown'], close_after_request: ['unknown'], no_answer: ['unknown'], truncated_answer: ['unknown'],
  answer_500: ['unknown'], answer_400: ['not_sent'], answer_409: ['unknown'],
  refused: ['not_sent'], tcp_reset: ['not_sent'], handshake_hang: ['not_sent'], foreign_server_cert: ['not_sent'], client_cert_refused: ['not_sent', 'unknown'], client_cert_refused_tls12: ['not_sent'],
};
/** Played by one scripted server, one step per request in turn: each ends by the server's own act, never by the client's deadline, so the script cannot fall out of step. */
const HTTP_FAULTS: readonly Fault[] = ['ok', 'reset_after_bytes', 'close_after_request', 'truncated_answer', 'answer_500', 'answer_400', 'answer_409'];
/** One server (or closed port) each, with its own client. */
const CONNECTION_FAULTS: readonly Fault[] = ['refused', 'tcp_reset', 'handshake_hang', 'foreign_server_cert', 'client_cert_refused', 'client_cert_refused_tls12', 'no_answer'];
/** Faults that end in the call's deadline: their clients get a short one. */
const SLOW: ReadonlySet<Fault> = new Set(['no_answer', 'handshake_hang']);

/** One step of the HTTP-level server's script: the fault, and for a reset the request bytes read first. */
interface Step { fault: Fault; resetAfter: number; seen: number }

describe('delivery under socket faults (fast-check, real TLS servers)', () => {
  const dir = makeTempDir('qsen-delivery-');
  const sockets = new Set<Socket>();
  const closers: Array<() => void> = [];
  const script: Step[] = [];
  /** Request bytes read by each connection-level server (all but `no_answer` must never read any). */
  const readBytes = new Map<Fault, number>();
  const clients = new Map<string, SenebiClient>();
  let nextId = 9999000000000000001n;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const listen = async (server: TcpServer | TlsServer): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    return (server.address() as { port: number }).port;
  };

  /** Ends a TLS connection with a TCP RST (a TLSSocket cannot reset itself; its TCP socket can). */
  const resetConnection = (socket: TLSSocket): void => {
    const tcp = (socket as unknown as { _parent?: Socket })._parent;
    if (tcp) tcp.resetAndDestroy();
    else socket.destroy();
  };

  /** Plays the script on one kept-alive TLS connection: each request takes the next step. */
  function playScript(socket: TLSSocket): void {
    let buffer = Buffer.alloc(0);
    let step: Step | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length === 0) return;
        step ??= script.shift();
        if (!step) return void socket.destroy();
        const headEnd = buffer.indexOf('\r\n\r\n');
        const length = headEnd === -1 ? undefined : headEnd + 4 + Number(/content-length:\s*(\d+)/i.exec(buffer.subarray(0, headEnd).toString('latin1'))?.[1] ?? 0);
        if (step.fault === 'reset_after_bytes') {
          step.seen = Math.min(buffer.length, step.resetAfter);
          if (buffer.length >= step.resetAfter || (length !== undefined && buffer.length >= length)) return void resetConnection(socket);
          return;
        }
        if (length === undefined || buffer.length < length) return;
        step.seen = length;
        const request = buffer.subarray(0, length).toString('utf8');
        buffer = buffer.subarray(length);
        const current = step;
        step = undefined;
        const id = /"id":"?(\d+)/.exec(request)?.[1] ?? /\/orders\/(\d+)/.exec(request)?.[1] ?? '0';
        const order = `{"order": {"id": ${id}, "status": "accepted"}}`;
        const answer = (status: number, body: string, claimed = Buffer.byteLength(body)): boolean => socket.write(`HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${claimed}\r\nkeep-alive: timeout=5\r\n\r\n${body}`);
        switch (current.fault) {
          case 'ok': answer(200, order); break;
          case 'answer_500': answer(500, '{"error": {"code": "INTERNAL", "message": "x"}}'); break;
          case 'answer_400': answer(400, '{"error": {"code": "INVALID_FIELD", "message": "x"}}'); break;
          case 'answer_409': answer(409, '{"error": {"code": "CONFLICT", "message": "x"}}'); break;
          case 'truncated_answer': answer(200, order.slice(0, 10), order.length); socket.end(); return;
          case 'close_after_request': socket.end(); return;
          default: throw new Error(`not an HTTP fault: ${current.fault}`);
        }
      }
    });
  }

  let skip: string | undefined;
  before(async () => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') {
      skip = openssl.skip;
      return;
    }
    initClusterPki(join(dir.path, 'a'));
    const read = (rel: string): string => readFileSync(join(dir.path, rel), 'utf8');
    const agent = { ca: read('a/senebi/ca.crt'), cert: read('a/senebi/agent.crt'), key: decryptPrivateKey(read('a/senebi/agent.key.enc'), read('a/senebi/passphrase').replace(/\r?\n$/, '')) };
    const good = { cert: read('a/senebi/server.crt'), key: read('a/senebi/server.key') };
    // A foreign CA made by openssl itself: it signs a server certificate for 127.0.0.1 (that the
    // agent must not trust) and knows nothing of the agent's certificate (a server trusting only
    // it refuses the agent).
    runOpensslCli(openssl, dir.path, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'foreign-ca.key', '-out', 'foreign-ca.crt', '-subj', '/CN=foreign SENEBI CA', '-days', '30']);
    const foreignCa = { certPem: read('foreign-ca.crt'), keyPem: read('foreign-ca.key') };
    const foreignIssued = issueWithOpenssl(openssl, dir.path, foreignCa, { name: 'foreign-server', subject: '/CN=127.0.0.1', key: 'ec:P-256', extensions: ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth'] });
    const foreign = { cert: foreignIssued.cert, key: foreignIssued.key, ca: foreignCa.certPem };
    const count = (fault: Fault) => (socket: TLSSocket): void => {
      track(socket);
      socket.on('data', (chunk: Buffer) => { readBytes.set(fault, (readBytes.get(fault) ?? 0) + chunk.length); });
    };

    const scripted = createTlsServer({ ...good, ca: agent.ca, requestCert: true, rejectUnauthorized: true }, (socket) => { track(socket); playScript(socket); });
    const tcpReset = createTcpServer((socket) => { track(socket); socket.resetAndDestroy(); });
    const hang = createTcpServer((socket) => track(socket)); // accepts and never answers the ClientHello
    const foreignServer = createTlsServer({ cert: foreign.cert, key: foreign.key }, count('foreign_server_cert'));
    const refusing = createTlsServer({ ...good, ca: foreign.ca, requestCert: true, rejectUnauthorized: true }, count('client_cert_refused'));
    const refusing12 = createTlsServer({ ...good, ca: foreign.ca, requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }, count('client_cert_refused_tls12'));
    const silent = createTlsServer({ ...good, ca: agent.ca, requestCert: true, rejectUnauthorized: true }, count('no_answer')); // reads, never answers
    for (const server of [scripted, tcpReset, hang, foreignServer, refusing, refusing12, silent]) server.on('connection', track);
    const ports: Record<string, number> = {
      scripted: await listen(scripted), tcp_reset: await listen(tcpReset), handshake_hang: await listen(hang),
      foreign_server_cert: await listen(foreignServer), client_cert_refused: await listen(refusing), client_cert_refused_tls12: await listen(refusing12), no_answer: await listen(silent), refused: await findFreePort(),
    };
    const make = (name: string, port: number, timeoutMs: number): void => {
      clients.set(name, createSenebiClient({ url: `https://127.0.0.1:${port}`, ...agent, timeoutMs, maxSockets: 4 }));
    };
    // A generous deadline where an answer is due (a loaded CI machine), a short one where none comes.
    make('http', ports['scripted'] as number, 20_000);
    for (const fault of CONNECTION_FAULTS) make(fault, ports[fault] as number, SLOW.has(fault) ? 300 : 20_000);
  });

  after(() => {
    for (const client of clients.values()) client.close();
    for (const close of closers) close();
    for (const socket of sockets) socket.destroy();
    dir.remove();
  });

  const order = (): OrderContent => ({ id: toUint64(String(nextId++)), instrument: 'AL30', side: 'buy', quantity: '10', price: '1.5', currency: 'USD', settlement: 'T1', counterparty: '45' });

  /** Places one order through the fault; the verdict and the request bytes the server read. */
  async function place(fault: Fault, resetAfter: number): Promise<{ verdict: 'placed' | 'not_sent' | 'unknown'; seen: number; code?: string }> {
    const http = HTTP_FAULTS.includes(fault);
    const step: Step = { fault, resetAfter, seen: 0 };
    if (http) script.push(step);
    const readBefore = readBytes.get(fault) ?? 0;
    const client = clients.get(http ? 'http' : fault) as SenebiClient;
    try {
      const answer = await client.placeOrder(order());
      assert.equal(answer.kind, 'placed');
      return { verdict: 'placed', seen: step.seen };
    } catch (err) {
      assert.ok(err instanceof ApiError, String(err));
      const delivery = err.details?.['delivery'];
      assert.ok(delivery === 'not_sent' || delivery === 'unknown', `delivery ${String(delivery)}`);
      if (http && script.includes(step)) script.splice(script.indexOf(step), 1); // never reached the server
      return { verdict: delivery, seen: http ? step.seen : (readBytes.get(fault) ?? 0) - readBefore, code: `${err.code} ${String(err.details?.['cause'] ?? '')}` };
    }
  }

  test('every not_sent verdict is a proof (the server read no request byte), and each fault gives its verdict', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const faults = [...HTTP_FAULTS, ...CONNECTION_FAULTS];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ fault: fc.constantFrom(...faults), resetAfter: fc.integer({ min: 1, max: 400 }) }), { minLength: 1, maxLength: 8 }), async (steps) => {
        for (const { fault, resetAfter } of steps) {
          const result = await place(fault, resetAfter);
          // not_sent: SENEBI read no byte of it, or read it and refused it (a 4xx but 409).
          if (result.verdict === 'not_sent' && fault !== 'answer_400') assert.equal(result.seen, 0, `${fault}: not_sent although the server read ${result.seen} request bytes`);
          if (result.verdict === 'unknown' && !['answer_500', 'answer_409'].includes(fault)) assert.ok(result.seen > 0 || !HTTP_FAULTS.includes(fault), `${fault}: unknown although the server read nothing`);
          assert.ok(EXPECTED[fault].includes(result.verdict), `${fault} (reset after ${resetAfter} bytes): ${result.verdict} ${result.code ?? ''}`);
          if (SLOW.has(fault)) assert.equal(result.code?.split(' ')[0], 'SENEBI_TIMEOUT', `${fault} ends in the deadline`);
        }
      }),
      { numRuns: 25, seed: Number(process.env['QSEN_FC_SEED'] ?? Date.now() % 2 ** 31) },
    );
  });

  test('a read after a connection reset is sent again once and answers', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    script.push({ fault: 'reset_after_bytes', resetAfter: 1, seen: 0 }, { fault: 'ok', resetAfter: 0, seen: 0 });
    const id = nextId++;
    const placed = await (clients.get('http') as SenebiClient).getOrder(toUint64(String(id)));
    assert.equal(placed?.state, 'accepted');
    assert.equal(script.length, 0, 'both steps were played');
  });
});
