/**
 * Crash test of `rx-firehose serve`: records acknowledged by the server are on disk. A real process takes
 * PutRecordBatch requests from the AWS SDK's Firehose client, is killed with SIGKILL while requests are in
 * flight, and is started again on the same data directory; after a graceful stop, every acknowledged record
 * must be in the delivered files. Duplicates (at-least-once) are bounded: the restarted server replays only
 * what its log's checkpoint did not show as settled, never more than the in-flight budget (4 MiB here, less
 * than what each repetition sends), and every duplicate is among the records it replayed.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../support/serveProcess.js';

const REPETITIONS = 10;
const CONCURRENCY = 4;
const BATCH = 100;
/** Each record is a line of this many bytes, with its newline. */
const RECORD_BYTES = 2000;
/** The server's budget of unsettled bytes: the smallest allowed, so that repetitions send several times more. */
const MAX_IN_FLIGHT_BYTES = 4 * 1_048_576;
/** Firehose's largest record: the budget may be passed by one record. */
const MAX_RECORD_BYTES = 1_024_000;

const running: ServeProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const CONFIG = {
  DeliveryStreamName: 'crash',
  DeliveryStreamType: 'DirectPut',
  ExtendedS3DestinationConfiguration: {
    RoleARN: 'arn:aws:iam::000000000000:role/firehose',
    BucketARN: 'arn:aws:s3:::lake',
    CompressionFormat: 'GZIP',
    BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
  },
};

/** Every line of every delivered object under `<dataDir>/lake` (hidden temporary files are not objects yet). */
async function deliveredLines(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'lake');
  const files = (await readdir(root, { recursive: true }).catch(() => [] as string[])).filter(
    (f) => f.endsWith('.gz') && !f.split('/').pop()!.startsWith('.'),
  );
  const texts = await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(root, f))).toString('utf8')));
  return texts.join('').split('\n').filter(Boolean);
}

/** Sends batches from `CONCURRENCY` producers until the server dies (or `stopAfter` × 3 batches); returns the acknowledged lines. */
async function produce(endpoint: string, repetition: number, stopAfter: number, onAcked: (count: number) => void): Promise<Set<string>> {
  const client = new FirehoseClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  const acked = new Set<string>();
  let batches = 0;
  let next = 0;
  const producer = async (): Promise<void> => {
    for (;;) {
      const lines = Array.from({ length: BATCH }, () => {
        const head = `r${repetition}-${next++}-`;
        return head + 'x'.repeat(RECORD_BYTES - 1 - head.length);
      });
      try {
        const answer = await client.send(
          new PutRecordBatchCommand({ DeliveryStreamName: 'crash', Records: lines.map((l) => ({ Data: Buffer.from(`${l}\n`) })) }),
        );
        answer.RequestResponses!.forEach((r, i) => r.RecordId !== undefined && acked.add(lines[i]!));
        onAcked(acked.size);
        if (++batches >= stopAfter * 3) return; // the kill comes well before this
      } catch {
        return; // the server was killed: this request was never acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, producer));
  client.destroy();
  return acked;
}

describe('rx-firehose serve, crash test', () => {
  it(`should deliver every acknowledged record after SIGKILL and a restart (${REPETITIONS} repetitions)`, async () => {
    const report: string[] = [];
    let totalLost = 0;
    let maxDuplicates = 0;
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'rx-firehose-crash-'));
      dirs.push(dataDir);
      const config = join(dataDir, '..', `${dataDir.split('/').pop()}-config.json`);
      await writeFile(config, JSON.stringify(CONFIG));
      dirs.push(config);

      const budget = ['--max-in-flight-bytes', String(MAX_IN_FLIGHT_BYTES)];
      const first = await startServe(['--data-dir', dataDir, '--config', config, ...budget]);
      running.push(first);
      // Kill after a number of acknowledged batches that differs per repetition, with requests in flight.
      const killAfter = 3 + repetition * 4;
      const acked = await produce(first.endpoint, repetition, killAfter, (records) => {
        if (records >= killAfter * BATCH) first.child.kill('SIGKILL');
      });
      expect(await first.exited).toBe('SIGKILL');

      const second = await startServe(['--data-dir', dataDir, ...budget]);
      running.push(second);
      expect(await second.stop('SIGTERM')).toBe(0);
      const replay = /delivery stream crash: (\d+) records \((\d+) bytes\) from its log/.exec(second.stderr());
      const [replayedRecords, replayedBytes] = replay === null ? [0, 0] : [Number(replay[1]), Number(replay[2])];

      const lines = await deliveredLines(dataDir);
      const seen = new Set(lines);
      const lost = [...acked].filter((l) => !seen.has(l)).length;
      const duplicates = lines.length - seen.size;
      totalLost += lost;
      maxDuplicates = Math.max(maxDuplicates, duplicates);
      report.push(
        `repetition ${repetition}: acknowledged ${acked.size} (${((acked.size * RECORD_BYTES) / 1_048_576).toFixed(1)} MiB), delivered ${seen.size} distinct, lost ${lost}, replayed ${replayedRecords}, duplicates ${duplicates}`,
      );
      expect(acked.size).toBeGreaterThanOrEqual(killAfter * BATCH);
      // The bound: what the restart replays is at most the budget (plus one record), and only replayed records can be duplicates.
      expect(replayedBytes).toBeLessThanOrEqual(MAX_IN_FLIGHT_BYTES + MAX_RECORD_BYTES);
      expect(duplicates).toBeLessThanOrEqual(replayedRecords);
      // The log is empty after the graceful stop.
      expect(await readdir(join(dataDir, '.rx-firehose', 'wal', 'crash'))).toEqual([]);
    }
    console.log(
      `crash test (SIGKILL + restart):\n  ${report.join('\n  ')}\n  lost in all: ${totalLost}; most duplicates in a repetition: ${maxDuplicates} (bound: the records replayed, ≤ ${MAX_IN_FLIGHT_BYTES / 1_048_576} MiB)`,
    );
    expect(totalLost).toBe(0);
  }, 300_000);
});
