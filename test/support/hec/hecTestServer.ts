/**
 * The Splunk HEC **test server** on 127.0.0.1: {@link HecTestCollector} (written from Splunk's public HEC
 * documentation; see its file) behind a real HTTP server, so that the destination's HTTP code, headers and
 * bodies are exercised for real. Not Splunk.
 */
import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback, type LoopbackServer } from '../listenOnLoopback.js';
import { HecTestCollector, type HecTestCollectorOptions } from './hecTestCollector.js';

export interface HecTestServer {
  /** `http://127.0.0.1:<port>`: the `HECEndpoint`. */
  readonly endpoint: string;
  readonly collector: HecTestCollector;
  /**
   * Stops and starts the server again on the same port, as a restart of Splunk: open connections are cut,
   * and the collector forgets its channels and ackIds and loses data not yet indexed.
   */
  restart(): Promise<void>;
  /** Cuts every open connection without answering (a crash mid-request, from the client's side). */
  dropConnections(): void;
  stop(): Promise<void>;
}

/** Starts a HEC test server on a free port of 127.0.0.1. */
export async function startHecTestServer(options: HecTestCollectorOptions): Promise<HecTestServer> {
  const collector = new HecTestCollector(options);
  const serve = (): Server =>
    createServer((req, res) => {
      void answer(collector, req, res);
    });
  let server = serve();
  let loopback: LoopbackServer = await listenOnLoopback(server);
  const port = Number(new URL(loopback.endpoint).port);
  return {
    endpoint: loopback.endpoint,
    collector,
    async restart() {
      await loopback.stop();
      collector.restart();
      server = serve();
      loopback = await listenOnLoopback(server, port);
    },
    dropConnections() {
      server.closeAllConnections();
    },
    stop: () => loopback.stop(),
  };
}

async function answer(collector: HecTestCollector, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    return; // the client went away
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const { status, body } = collector.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(chunks) });
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
