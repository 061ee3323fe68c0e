import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDirectPut, type DirectPut, type FirehoseRecord, type PutRecordBatchAnswer } from '../../src/index.js';
import { CHECKPOINT_FILE } from '../../src/sources/directPut/WriteAheadLog.js';

// Fault suite: a direct-PUT stream's write-ahead log on a file system that fills up (a 1 MiB tmpfs, mounted
// by the test: it needs root, as the rest of the suite does). A put the log cannot write must be refused,
// never acknowledged; the operator must hear of it; and once there is room the stream must take puts again,
// without a restart. Acknowledged records are all there after a crash; refused ones are not.
const RECORD_BYTES = 1000;
const PER_BATCH = 50;

const record = (n: number): { Data: Buffer } => ({ Data: Buffer.from(`${n}`.padEnd(RECORD_BYTES, '.')) });
const numberOf = (r: FirehoseRecord): number => Number.parseInt(Buffer.from(r.data).toString('latin1'), 10);

/** Writes zeros to `path` until the file system has no room left. */
async function fill(path: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    const zeros = Buffer.alloc(4096);
    for (;;) await file.write(zeros);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await file.close();
  }
}

function collect(source: DirectPut): FirehoseRecord[] {
  const seen: FirehoseRecord[] = [];
  source.records.subscribe((r) => seen.push(r));
  return seen;
}

describe('fault suite: a full disk under the direct-PUT write-ahead log', () => {
  let dir = '';
  let mounted = false;
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'WriteAheadLogWarning') warnings.push(w);
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-full-log-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    mounted = true;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    warnings.length = 0;
    if (mounted) execFileSync('umount', ['--lazy', dir]); // lazy: a failed test may leave the log's files open
    mounted = false;
    await rm(dir, { recursive: true, force: true });
  });

  it('should refuse what the log cannot write, say so once, take puts again once there is room, and replay after a crash exactly what it acknowledged', async () => {
    const logDir = join(dir, 'wal');
    // No checkpoint can be written (a directory stands where it writes its next one): a refused record must
    // then be kept from a replay by the log itself, not by a checkpoint that names it as settled.
    await mkdir(join(logDir, `.${CHECKPOINT_FILE}.tmp`), { recursive: true });
    const source = await openDirectPut({ logDir, streamName: 'full', segmentBytes: 4 * 1_048_576 });
    const emitted = collect(source); // never settled: every acknowledged record stays in the log
    const acknowledged = new Set<number>();
    const refused = new Set<number>();
    let next = 0;
    /** Four PutRecordBatch at once (so the log writes several requests with one writev), answers tallied. */
    const putFour = async (): Promise<PutRecordBatchAnswer[]> => {
      const batches = Array.from({ length: 4 }, () => Array.from({ length: PER_BATCH }, () => next++));
      const answers = await Promise.all(batches.map((b) => source.putRecordBatch(b.map(record))));
      answers.forEach((answer, i) =>
        answer.RequestResponses.forEach((r, j) => ('RecordId' in r ? acknowledged : refused).add(batches[i]![j]!)),
      );
      return answers;
    };
    const tick = (): Promise<void> => new Promise((done) => setImmediate(done));

    // Fill the disk: puts go on until whole batches are refused.
    let answers: PutRecordBatchAnswer[] = [];
    for (let i = 0; i < 40 && !answers.some((a) => a.FailedPutCount === PER_BATCH); i++) answers = await putFour();
    expect(acknowledged.size).toBeGreaterThan(0);
    const failure = answers.flatMap((a) => a.RequestResponses).find((r) => 'ErrorCode' in r);
    expect(failure).toEqual({
      ErrorCode: 'InternalFailure',
      ErrorMessage: expect.stringMatching(/could not be written to the log: .*ENOSPC/),
    });
    // Cutting a failed segment back frees what its refused writes took: fill that too, so the disk stays full.
    await source.checkpoint();
    await fill(join(dir, 'filler'));
    // While the disk stays full, every put is refused, and the warning is not repeated.
    for (const answer of await putFour()) expect(answer.FailedPutCount).toBe(PER_BATCH);
    const single = next++;
    refused.add(single);
    await expect(source.putRecord(record(single))).rejects.toMatchObject({
      type: 'ServiceUnavailableException',
      message: expect.stringMatching(/could not be written to the log: .*ENOSPC/),
    });
    await tick();
    expect(warnings.map((w) => (w as NodeJS.ErrnoException).code)).toEqual(['RX_FIREHOSE_LOG_WRITE_FAILED']);
    expect(warnings[0]!.message).toMatch(/delivery stream full: its write-ahead log in .*wal could not write: ENOSPC/);

    // Room again: the same source takes puts, and says so with the count of what it refused meanwhile.
    execFileSync('mount', ['-o', 'remount,size=64m', dir]);
    const refusedWhileFull = refused.size;
    for (let i = 0; i < 3; i++) for (const answer of await putFour()) expect(answer.FailedPutCount).toBe(0);
    await tick();
    expect(warnings.map((w) => (w as NodeJS.ErrnoException).code)).toEqual([
      'RX_FIREHOSE_LOG_WRITE_FAILED',
      'RX_FIREHOSE_LOG_WRITES_AGAIN',
    ]);
    expect(warnings[1]!.message).toContain(`${refusedWhileFull} records were refused since it said it could not`);

    // The pipeline saw exactly the acknowledged records, and so does the next process after a crash.
    expect(emitted.map(numberOf).sort((a, b) => a - b)).toEqual([...acknowledged].sort((a, b) => a - b));
    await source.checkpoint();
    const again = await openDirectPut({ logDir, streamName: 'full' }); // the first is gone without closing: a crash
    const replayed = collect(again);
    const lost = [...acknowledged].filter((n) => !replayed.some((r) => numberOf(r) === n));
    const replayedRefused = replayed.filter((r) => refused.has(numberOf(r)));
    console.log(
      `full log disk: ${acknowledged.size} acknowledged, ${refusedWhileFull} refused while full; after a crash ${replayed.length} replayed, ${lost.length} lost, ${replayedRefused.length} refused ones replayed`,
    );
    expect(lost).toEqual([]);
    expect(replayedRefused).toEqual([]);
    expect(replayed.length).toBe(acknowledged.size);
    for (const r of replayed) expect(Buffer.from(r.data).equals(record(numberOf(r)).Data)).toBe(true);
    await Promise.all([source, again].map(async (s) => (await s.close(), await s.closeLog())));
  }, 60_000);
});
