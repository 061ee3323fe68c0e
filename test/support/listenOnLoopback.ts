import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An in-process test server listening on 127.0.0.1. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Closes the server and its connections (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts `server` on a free port of 127.0.0.1 (never another interface: kinesalite's and dynalite's own
 * CLIs bind every interface, so they are started from code through this), or on `port` when given (to
 * start a server again where it was).
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      })),
  };
}
