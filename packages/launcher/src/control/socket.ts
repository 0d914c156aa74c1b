/**
 * Serves the control app on its Unix socket: a stale socket file is removed first (the caller
 * holds the state folder's launcher lock, so no live launcher owns it) and the socket is made
 * mode 0600 (only the launcher's user may drive the processes).
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { launcherErrors } from '../errors.js';

/** A listening control socket. */
export interface ControlSocket {
  readonly path: string;
  /** Stops accepting, ends open connections and removes the socket file. */
  close(): Promise<void>;
}

/** Removes a leftover socket file; refuses to touch anything that is not a socket. */
export function removeStaleSocket(socketPath: string): boolean {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return false;
  }
  if (!isSocket) throw launcherErrors.create('INVALID_SETTING', `${socketPath} exists and is not a socket`, { path: socketPath });
  unlinkSync(socketPath);
  return true;
}

/** Listens on `socketPath` (mode 0600) with `app`. */
export async function listenControlSocket(socketPath: string, app: RequestListener): Promise<ControlSocket> {
  removeStaleSocket(socketPath);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    close: () => new Promise<void>((resolve) => {
      server.close(() => {
        try {
          removeStaleSocket(socketPath);
        } catch {
          // already gone
        }
        resolve();
      });
      server.closeAllConnections();
    }),
  };
}
