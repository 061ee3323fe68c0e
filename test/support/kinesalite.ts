/**
 * A throw-away Kinesis Data Streams server for tests: kinesalite (npm), in this process, on 127.0.0.1.
 *
 * Its CLI binds every interface, so it is started from code: `kinesalite(options).listen(port, '127.0.0.1')`
 * on a free port, with an in-memory store (each instance has its own). Creating, updating and deleting a
 * stream take `createStreamMs` / `updateStreamMs` / `deleteStreamMs` = 50 ms here (0.5 s by default).
 *
 * Traps (see ../../../shared/TEST_INFRA.md):
 *  - The v3 Kinesis client speaks HTTP/2 by default and kinesalite only HTTP/1.1: {@link kinesisClientFor}
 *    passes `requestHandler: new NodeHttpHandler()`.
 *  - ListShards ignores ShardFilter and MaxResults (it returns every shard, never a NextToken).
 *  - No SubscribeToShard (enhanced fan-out); GetRecords never returns ChildShards; a closed shard ends with a
 *    null NextShardIterator once read past its ending sequence number.
 *  - Data must outlive a child process that reads it (the crash test): run kinesalite in the parent.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { listenOnLoopback, type LoopbackServer } from './listenOnLoopback.js';
import { afterAll, beforeAll } from 'vitest';

const require = createRequire(import.meta.url);
const kinesalite = require('kinesalite') as (options: Record<string, unknown>) => Server;

export type Kinesalite = LoopbackServer;

/** Starts kinesalite on a free port of 127.0.0.1 (about 0.1 s). */
export async function startKinesalite(): Promise<Kinesalite> {
  return listenOnLoopback(kinesalite({ createStreamMs: 50, updateStreamMs: 50, deleteStreamMs: 50, shardLimit: 100 }));
}

/** kinesalite and a client for it, for the tests of one file: started before them, stopped after. */
export interface KinesaliteFixture {
  readonly endpoint: string;
  readonly client: KinesisClient;
}

/** Starts kinesalite on 127.0.0.1 in `beforeAll` and stops it in `afterAll`; the fixture is filled in by then. */
export function useKinesalite(): KinesaliteFixture {
  const fixture = { endpoint: '', client: undefined as unknown as KinesisClient };
  let server: Kinesalite | undefined;
  beforeAll(async () => {
    server = await startKinesalite();
    fixture.endpoint = server.endpoint;
    fixture.client = kinesisClientFor(server.endpoint);
  });
  afterAll(async () => {
    fixture.client?.destroy();
    await server?.stop();
  });
  return fixture;
}

/** A v3 Kinesis client for kinesalite: HTTP/1.1, dummy credentials. */
export function kinesisClientFor(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
  });
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, streamName: string, shardCount: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  await waitForActive(client, streamName);
}

/** Waits until the stream is ACTIVE again (after create, split or merge). */
export async function waitForActive(client: KinesisClient, streamName: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { StreamDescriptionSummary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/**
 * Puts records in order, 500 per PutRecords call, retrying the entries the server refused. Returns the
 * sequence number and shard of each, in the order given.
 */
export async function putRecords(
  client: KinesisClient,
  streamName: string,
  entries: readonly PutRecordsRequestEntry[],
): Promise<Array<{ shardId: string; sequenceNumber: string }>> {
  const out: Array<{ shardId: string; sequenceNumber: string }> = [];
  for (let start = 0; start < entries.length; start += 500) {
    const chunk = entries.slice(start, start + 500);
    const result = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: chunk }));
    result.Records!.forEach((r, i) => {
      if (r.ErrorCode !== undefined) throw new Error(`PutRecords failed for entry ${start + i}: ${r.ErrorCode} ${r.ErrorMessage}`);
      out.push({ shardId: r.ShardId!, sequenceNumber: r.SequenceNumber! });
    });
  }
  return out;
}
