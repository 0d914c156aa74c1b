/**
 * The direct table (src/http/direct.ts) takes only what express would route to the same route:
 * a route whose path is a pattern (`/v1/:op`) declared before a direct literal path answers that
 * path in express, so the table must stop there. Checked on the table read from express's stack
 * and on the answer a real request gets (plain HTTP on loopback: the routes are internal). And
 * an onStateChangeRefused hook that throws neither changes the refusal's answer nor (in the
 * direct path, outside express's catch) escapes as an unhandled rejection that ends the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { collectDirectRoutes, createApiApp, defineRoute, sendJson } from '../src/index.js';
import { createMemoryLogger } from './fixtures/http/cluster.js';

const answering = (name: string) => ({ POST: { roles: 'internal' as const, handler: (_req: express.Request, res: express.Response) => sendJson(res, { route: name }) } });

test('a pattern route declared before a direct path: the table stops there (express routes the path to the pattern)', () => {
  const app = express();
  defineRoute(app, '/v1/first', answering('first'), { direct: true });
  defineRoute(app, '/v1/:op', answering('pattern'));
  defineRoute(app, '/v1/order', answering('order'), { direct: true });
  const router = express.Router();
  defineRoute(router, '/v2/ok', answering('ok'), { direct: true });
  defineRoute(router, '/v2/*rest', answering('wild'));
  defineRoute(router, '/v2/late', answering('late'), { direct: true });
  const inRouter = express();
  inRouter.use(router);
  const stack = (app as unknown as { router: { stack: object[] } }).router.stack;
  assert.deepEqual([...collectDirectRoutes(stack, 0).keys()], ['/v1/first']);
  const routerStack = (inRouter as unknown as { router: { stack: object[] } }).router.stack;
  assert.deepEqual([...collectDirectRoutes(routerStack, 0).keys()], ['/v2/ok']);
});

/** Waits for `condition` (checked every 10 ms), failing after a generous deadline. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within 10 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function post(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': '2' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

test('a request to the direct path gets the answer express gives it (the pattern route declared first)', async () => {
  const { logger } = createMemoryLogger();
  const app = createApiApp({
    logger,
    mount: (a) => {
      defineRoute(a, '/v1/:op', answering('pattern'));
      defineRoute(a, '/v1/order', answering('order'), { direct: true });
    },
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    assert.deepEqual(JSON.parse(await post(port, '/v1/order')), { route: 'pattern' });
    assert.deepEqual(JSON.parse(await post(port, '/V1/Order')), { route: 'pattern' });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a refusal hook that throws: the refusal is still answered (405 with the contract body), on both paths, and the process lives', async () => {
  for (const direct of [false, true]) {
    const { logger, entries } = createMemoryLogger();
    const app = createApiApp({
      logger,
      onStateChangeRefused: () => { throw new Error('audit hook failed'); },
      mount: (a) => defineRoute(a, '/v1/order', answering('order'), { direct, stateChange: 'sendOrder' }),
    });
    const server: Server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/v1/order', method: 'PUT' }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(answer.status, 405, `direct: ${direct}`);
      assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
      await until(() => entries.some((e) => e['message'] === 'the refusal hook failed' && e['error'] === 'audit hook failed'), `the hook's failure logged (direct: ${direct})`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
});
