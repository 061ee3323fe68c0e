/**
 * The crash test: a child process runs Kinesis → bufferBySizeOrTime → deliverTo(directory) with file
 * checkpoints and is killed with SIGKILL mid-way; a second run resumes from the checkpoints. Every record put
 * must be delivered at least once, and the duplicates must be records that were in flight when the first
 * run died (read, but beyond the checkpoint it had saved).
 *
 * kinesalite runs here, in the parent, so the stream outlives the child.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSequenceNumbers } from '../../../src/sources/kinesis/compareSequenceNumbers.js';
import { deliveredLines } from '../../support/deliveredLines.js';
import { createStream, kinesisClientFor, putRecords, startKinesalite, type Kinesalite } from '../../support/kinesalite.js';
import { startLineProcess, type LineProcess } from '../../support/startLineProcess.js';
import { waitFor } from './waitFor.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = 3_000;
const SHARDS = 4;
const MAX_RECORDS_PER_CALL = 25;
const MAX_IN_FLIGHT_BYTES = 2_000;
/** Each checkpoint save of the child waits this long: batches delivered but not yet checkpointed at the kill become duplicates. */
const CHECKPOINT_DELAY_MS = 150;

let kinesalite: Kinesalite;
let client: KinesisClient;
let work: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  kinesalite = await startKinesalite();
  client = kinesisClientFor(kinesalite.endpoint);
  work = await mkdtemp(join(tmpdir(), 'rx-firehose-kinesis-crash-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  client?.destroy();
  await kinesalite?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

interface Run extends LineProcess {
  /** Record ids the child emitted, in order. */
  readonly emitted: string[];
  stopped: boolean;
}

function startChild(env: Record<string, string>): Run {
  const run: Run = { ...startLineProcess(join(here, 'crashPipeline.ts'), env, onLine), emitted: [], stopped: false };
  children.push(run.child);
  function onLine(line: string): void {
    if (line.startsWith('E ')) run.emitted.push(line.slice(2));
    else if (line === 'STOPPED') run.stopped = true;
  }
  return run;
}

type Checkpoints = Record<string, { sequenceNumber: string; subsequenceNumber: number }>;

async function readCheckpoints(path: string, streamName: string): Promise<Checkpoints> {
  const file = JSON.parse(await readFile(path, 'utf8')) as { streams: Record<string, Checkpoints> };
  return file.streams[streamName] ?? {};
}

describe('fromKinesisStream crash test (SIGKILL, kinesalite, directory destination)', () => {
  it('should deliver every record at least once across a SIGKILL, with duplicates only among the records in flight at the kill', async () => {
    const streamName = 'crash';
    await createStream(client, streamName, SHARDS);
    const put = await putRecords(
      client,
      streamName,
      Array.from({ length: N }, (_, i) => ({ Data: Buffer.from(`{"i":${i}}\n`), PartitionKey: `key-${i}` })),
    );
    const recordIdOf = (i: number): string => `${put[i]!.shardId}-${put[i]!.sequenceNumber}-0`;
    const indexOfRecordId = new Map(put.map((_, i) => [recordIdOf(i), i]));
    const outDir = join(work, 'out');
    const checkpointFile = join(work, 'checkpoints.json');
    const env = {
      KINESIS_ENDPOINT: kinesalite.endpoint,
      STREAM_NAME: streamName,
      OUT_DIR: outDir,
      CHECKPOINT_FILE: checkpointFile,
      MAX_IN_FLIGHT_BYTES: String(MAX_IN_FLIGHT_BYTES),
      MAX_RECORDS_PER_CALL: String(MAX_RECORDS_PER_CALL),
      CHECKPOINT_DELAY_MS: String(CHECKPOINT_DELAY_MS),
    };

    // Run 1: killed without warning mid-way, while records it read are still on their way to the directory.
    const first = startChild(env);
    for (;;) {
      const delivered = (await deliveredLines(outDir)).length;
      if (delivered >= N / 10 && first.emitted.length >= N / 5 && first.emitted.length - delivered >= 50) break;
      if (first.child.exitCode !== null) throw new Error(`the first run exited: ${first.stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const afterKill = await deliveredLines(outDir);
    expect(afterKill.length).toBeLessThan(N); // it really died mid-way
    const checkpointsAtKill = await readCheckpoints(checkpointFile, streamName);

    // What run 1 had read beyond its saved checkpoints: in flight from the checkpoints' point of view.
    const beyondCheckpoint = new Set(
      first.emitted.filter((recordId) => {
        const i = indexOfRecordId.get(recordId)!;
        const checkpoint = checkpointsAtKill[put[i]!.shardId];
        return checkpoint === undefined || compareSequenceNumbers(put[i]!.sequenceNumber, checkpoint.sequenceNumber) > 0;
      }),
    );

    // Run 2: resumes from the checkpoints, runs until everything is delivered, then stops gracefully.
    const second = startChild(env);
    await waitFor(() => second.emitted.length > 0, 'the second run to read', 30_000);
    let lines: string[] = [];
    for (;;) {
      lines = await deliveredLines(outDir);
      if (new Set(lines).size >= N) break;
      if (second.child.exitCode !== null) throw new Error(`the second run exited early: ${second.stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.stopped).toBe(true);
    lines = await deliveredLines(outDir);

    // Every record put is delivered at least once.
    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    const missing = put.map((_, i) => `{"i":${i}}`).filter((line) => !counts.has(line));
    expect(missing).toEqual([]);
    expect(counts.size).toBe(N);

    // Duplicates are records run 1 had read beyond its checkpoints, and run 2 read again from them.
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([line]) => Number(JSON.parse(line).i));
    for (const i of duplicated) expect(beyondCheckpoint.has(recordIdOf(i)), `duplicate ${i} was in flight at the kill`).toBe(true);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
    const secondRead = new Set(second.emitted);
    expect(first.emitted.filter((id) => !beyondCheckpoint.has(id) && secondRead.has(id))).toEqual([]); // nothing checkpointed is read again

    // After the graceful stop, each shard's checkpoint is its last record.
    const finalCheckpoints = await readCheckpoints(checkpointFile, streamName);
    for (const shardId of new Set(put.map((p) => p.shardId))) {
      expect(finalCheckpoints[shardId]?.sequenceNumber).toBe(put.filter((p) => p.shardId === shardId).at(-1)!.sequenceNumber);
    }

    // Where the in-flight records were at the kill: read but not delivered, or delivered but not yet
    // checkpointed. Only the second kind can repeat.
    const deliveredAtKill = new Set(afterKill.map((line) => Number(JSON.parse(line).i)));
    const beyondDelivered = [...beyondCheckpoint].filter((recordId) => deliveredAtKill.has(indexOfRecordId.get(recordId)!));
    const beyondUndelivered = beyondCheckpoint.size - beyondDelivered.length;
    // The budget counts a record until the checkpoint moves past it, so what run 1 had read beyond each shard's
    // longest delivered prefix (the checkpoint it could have reached) is bounded by the budget plus one response
    // per shard, delivered or not. The rest of the in-flight records were passed by the checkpoint but not yet
    // saved (saves trail it by one write).
    const heldAtKill = new Set<string>();
    for (const shardId of new Set(put.map((p) => p.shardId))) {
      const read = first.emitted.filter((recordId) => put[indexOfRecordId.get(recordId)!]!.shardId === shardId);
      const prefix = read.findIndex((recordId) => !deliveredAtKill.has(indexOfRecordId.get(recordId)!));
      for (const recordId of prefix === -1 ? [] : read.slice(prefix)) heldAtKill.add(recordId);
    }
    const heldDelivered = [...heldAtKill].filter((recordId) => deliveredAtKill.has(indexOfRecordId.get(recordId)!)).length;
    const passedNotSaved = [...beyondCheckpoint].filter((recordId) => !heldAtKill.has(recordId)).length;
    const smallestRecordBytes = '{"i":0}\n'.length;
    const memoryBoundRecords = Math.ceil(MAX_IN_FLIGHT_BYTES / smallestRecordBytes) + SHARDS * MAX_RECORDS_PER_CALL;
    const duplicates = lines.length - counts.size;
    console.log(
      [
        `crash test: ${N} records put on ${SHARDS} shards; checkpoint saves take ≥ ${CHECKPOINT_DELAY_MS} ms`,
        `run 1 (SIGKILL): read ${first.emitted.length}, ${afterKill.length} delivered at the kill; in flight (read beyond the saved checkpoints): ${beyondCheckpoint.size} = ${beyondUndelivered} not yet delivered + ${beyondDelivered.length} delivered but not yet checkpointed`,
        `run 2: read ${second.emitted.length}, stopped with SIGTERM after all were delivered`,
        `delivered lines ${lines.length}, distinct ${counts.size}, missing ${missing.length}, duplicates ${duplicates}`,
        `in flight ${beyondCheckpoint.size} = ${heldAtKill.size} held by the budget (read beyond the delivered prefix: ${heldAtKill.size - heldDelivered} undelivered + ${heldDelivered} delivered behind them) + ${passedNotSaved} passed by the checkpoint, save pending`,
        `bounds: duplicates = delivered-but-not-checkpointed = ${beyondDelivered.length} ≤ in flight ${beyondCheckpoint.size}; held by the budget ${heldAtKill.size} (⊇ not-yet-delivered ${beyondUndelivered}) ≤ budget ${MAX_IN_FLIGHT_BYTES} B / ${smallestRecordBytes} B + ${SHARDS} × ${MAX_RECORDS_PER_CALL} per response = ${memoryBoundRecords}`,
      ].join('\n  '),
    );
    expect(duplicates).toBe(beyondDelivered.length);
    expect(duplicates).toBeLessThanOrEqual(beyondCheckpoint.size);
    expect(beyondCheckpoint.size).toBe(heldAtKill.size + passedNotSaved); // every held record is beyond the saved checkpoint
    expect(beyondUndelivered).toBeLessThanOrEqual(heldAtKill.size);
    expect(heldAtKill.size).toBeLessThanOrEqual(memoryBoundRecords);
  }, 60_000);
});
