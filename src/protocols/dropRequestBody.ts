import type { IncomingMessage } from 'node:http';

/**
 * Reads and drops what is left of a request's body as it comes, holding none of it: the answer to a refused
 * request goes out at once, on a connection the sender can keep using.
 */
export function dropRequestBody(req: IncomingMessage): void {
  req.on('error', () => undefined);
  req.resume();
}
