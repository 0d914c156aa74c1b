/** Raw TLS and TCP probes that report whether any HTTP answer came back. */
import { connect as connectTcp } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** What a raw probe saw. */
export interface ProbeResult {
  /** The TLS handshake completed on the client side. */
  handshake: boolean;
  /** Every byte the server sent after the handshake (or on the plain socket). */
  received: string;
  /** The client-side error, if any (ECONNRESET, ERR_SSL_...). */
  errorCode: string | undefined;
}

function requestFor(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
}

/** Connects with TLS to 127.0.0.1:port, sends one GET once the handshake is done, and reports what came back until the socket closed. */
export function probeTls(port: number, options: ConnectionOptions, path = '/'): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let handshake = false;
    let received = '';
    let errorCode: string | undefined;
    const socket = connectTls({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      handshake = true;
      socket.write(requestFor(path));
    });
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
    socket.on('error', (err: Error & { code?: string }) => { errorCode = err.code ?? err.message; });
    socket.on('close', () => resolve({ handshake, received, errorCode }));
  });
}

/** Sends a plain-text HTTP request to 127.0.0.1:port and reports what came back until the socket closed. */
export function probePlain(port: number, path = '/'): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let received = '';
    let errorCode: string | undefined;
    const socket = connectTcp({ host: '127.0.0.1', port }, () => socket.write(requestFor(path)));
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
    socket.on('error', (err: Error & { code?: string }) => { errorCode = err.code ?? err.message; });
    socket.on('close', () => resolve({ handshake: false, received, errorCode }));
  });
}
