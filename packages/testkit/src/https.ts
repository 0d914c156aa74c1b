import { request as httpsRequest, type RequestOptions } from 'node:https';

/** What one mutual-TLS HTTP exchange produced. */
export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A client identity for mutual TLS (PEM text). */
export interface ClientIdentity {
  cert?: string | Buffer;
  key?: string | Buffer;
}

/**
 * Sends one HTTPS request with an optional client certificate and resolves with status, headers
 * and body text. Rejects when the TLS layer or socket fails (e.g. the server closed the
 * connection during the handshake).
 */
export function httpsCall(
  url: string,
  options: { method?: string; ca?: string | Buffer; identity?: ClientIdentity; body?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number; tls?: RequestOptions } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: options.method ?? 'GET',
      ca: options.ca,
      cert: options.identity?.cert,
      key: options.identity?.key,
      agent: false,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...options.tls,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
