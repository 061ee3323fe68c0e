import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of `upstream` (host:port) that can freeze: while frozen it accepts
 * connections and bytes but forwards nothing in either direction, as a network path that went dead without
 * a reset does. A test double for a broken network, named as such; the server behind it is real.
 */
export interface FreezingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops forwarding on every connection, present and future. */
  freeze(): void;
  /** Forwards again, on new connections (frozen ones stay dead, as on a real network after a long outage). */
  heal(): void;
  /** Resolves once a frozen connection has received bytes it holds back (a request is stuck). */
  held(): Promise<void>;
  /** Connections the client closed while they were frozen. */
  readonly closedWhileFrozen: number;
  close(): Promise<void>;
}

export async function startFreezingProxy(upstream: { host: string; port: number }): Promise<FreezingProxy> {
  let frozen = false;
  let closedWhileFrozen = 0;
  let waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const frozenConnection = frozen;
    const target = connect(upstream.port, upstream.host);
    sockets.add(client).add(target);
    const forget = (): void => {
      sockets.delete(client);
      sockets.delete(target);
    };
    client.on('error', () => undefined);
    target.on('error', () => client.destroy());
    client.on('close', () => {
      if (frozenConnection || frozen) closedWhileFrozen++;
      target.destroy();
      forget();
    });
    target.on('close', () => client.destroy());
    client.on('data', (chunk) => {
      if (frozenConnection || frozen) {
        const wake = waiters;
        waiters = [];
        wake.forEach((w) => w());
        return; // held back for ever
      }
      target.write(chunk);
    });
    target.on('data', (chunk) => {
      if (!(frozenConnection || frozen)) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    freeze: () => void (frozen = true),
    heal: () => void (frozen = false),
    held: () => new Promise((resolve) => waiters.push(resolve)),
    get closedWhileFrozen() {
      return closedWhileFrozen;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
