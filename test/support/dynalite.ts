/**
 * A throw-away DynamoDB server for tests: dynalite (npm), in this process, on 127.0.0.1.
 *
 * Its CLI binds every interface, so it is started from code on a free port of 127.0.0.1, with an in-memory
 * store and tables that stay CREATING for 50 ms. Conditional Put/Update behave like AWS; there is no
 * TransactWriteItems.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface Dynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Closes the server (idempotent). */
  stop(): Promise<void>;
}

/** Starts dynalite on a free port of 127.0.0.1. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => (stopped ??= new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    })),
  };
}

/** A v3 DynamoDB client for dynalite: dummy credentials. */
export function dynamoDbClientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
  });
}
