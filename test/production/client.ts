/**
 * The production tier's client, run inside the client network namespace
 * (`ip netns exec NS node test/dist/production/client.js JSON`). One JSON command in argv[2],
 * one JSON answer on stdout:
 *   {"op":"probe","host":H,"ports":[..],"timeoutMs":N}   -> {"open":[..]} (TCP connect succeeded)
 *   {"op":"https","url":U,"method":M,"body":B,"ca":F,"cert":F,"key":F,"servername":S}
 *                                                          -> {"status":N,"body":"..."}
 *   {"op":"listen","ports":[..]}                          -> {"listening":[..]}, then serves until killed
 */
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { errorMessage } from '@qsen/core/errors';
import { httpsCall } from '@qsen/testkit';

interface Probe { op: 'probe'; host: string; ports: number[]; timeoutMs?: number }
interface Https { op: 'https'; url: string; method?: string; body?: string; ca: string; cert: string; key: string; servername: string; timeoutMs?: number }
interface Listen { op: 'listen'; ports: number[] }
type Command = Probe | Https | Listen;

/** Resolves true when a TCP connection to host:port is accepted within the time limit. */
function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function main(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'probe': {
      const results = await Promise.all(command.ports.map(async (port) => [port, await canConnect(command.host, port, command.timeoutMs ?? 1500)] as const));
      return { open: results.filter(([, open]) => open).map(([port]) => port).sort((a, b) => a - b) };
    }
    case 'https': {
      const answer = await httpsCall(command.url, {
        method: command.method ?? 'GET',
        ca: readFileSync(command.ca),
        identity: { cert: readFileSync(command.cert), key: readFileSync(command.key) },
        ...(command.body !== undefined ? { body: command.body } : {}),
        timeoutMs: command.timeoutMs ?? 15_000,
        tls: { servername: command.servername },
      });
      return { status: answer.status, body: answer.body };
    }
    case 'listen': {
      await Promise.all(command.ports.map((port) => new Promise<void>((resolve, reject) => {
        const server = createServer((socket) => socket.end('qsen-production-tier\n'));
        server.once('error', reject);
        server.listen(port, '0.0.0.0', () => resolve());
      })));
      return { listening: command.ports };
    }
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as Command).then(
  (answer) => console.log(JSON.stringify(answer)),
  (err: unknown) => {
    console.error(`client: ${errorMessage(err)}`);
    process.exit(1);
  },
);
