/**
 * A throw-away DynamoDB server for tests: dynalite (npm), in this process, on 127.0.0.1.
 *
 * Its CLI binds every interface, so it is started from code on a free port of 127.0.0.1, with an in-memory
 * store and tables that stay CREATING for 50 ms. Conditional Put/Update behave like AWS; there is no
 * TransactWriteItems.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { listenOnLoopback, type LoopbackServer } from './listenOnLoopback.js';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export type Dynalite = LoopbackServer;

/** Starts dynalite on a free port of 127.0.0.1. */
export async function startDynalite(): Promise<Dynalite> {
  return listenOnLoopback(dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 }));
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
