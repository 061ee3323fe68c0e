import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Observable, bufferCount, type OperatorFunction } from 'rxjs';
import { bufferBySizeOrTime } from '../operators/index.js';
import { alternatingMediansMs, medianMs, perSecond } from './measure.js';

const RECORDS = 1_000_000;
const ROUNDS = 9;

/** The same records for every contender: 100–150 bytes each, as bytes and as strings. */
function makeRecords(): { buffers: Buffer[]; strings: string[] } {
  const buffers: Buffer[] = [];
  const strings: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const line = JSON.stringify({ id: i, user: `user-${i % 977}`, path: `/p/${(i * 7919) % 100_000}` });
    const s = line.padEnd(100 + (i % 51), ' ');
    strings.push(s);
    buffers.push(Buffer.from(s));
  }
  return { buffers, strings };
}

/** Pushes every record through `operator` synchronously and counts what comes out. */
function drive<T>(records: readonly T[], operator: OperatorFunction<T, T[]>): number {
  let out = 0;
  new Observable<T>((subscriber) => {
    for (let i = 0; i < records.length; i++) subscriber.next(records[i]!);
    subscriber.complete();
  })
    .pipe(operator)
    .subscribe((batch) => (out += batch.length));
  if (out !== records.length) throw new Error(`lost records: ${out} of ${records.length}`);
  return out;
}

/**
 * bufferBySizeOrTime against rxjs `bufferCount(1000)` on the same records, rounds alternating, medians. `where`
 * says which process it runs in: the goal (≥ 1.0×) holds in a process of its own; after the other benchmarks,
 * in the same process, the ratio is printed for information (see bench/README.md on why it used to fall).
 * Returns the lowest ratio.
 */
export function benchBufferBySizeOrTime(where: 'own process' | 'shared process' = 'own process'): number {
  const { buffers, strings } = makeRecords();
  console.log(
    `\nbufferBySizeOrTime vs rxjs bufferCount (${where}): ${RECORDS.toLocaleString('en')} records of 100–150 bytes, alternating rounds, median of ${ROUNDS}`,
  );

  const rows: Array<[string, number, number]> = [];
  const compare = (label: string, records: readonly unknown[], ours: () => OperatorFunction<unknown, unknown[]>): void => {
    const [baseline, mine] = alternatingMediansMs(
      () => drive(records, bufferCount(1000)),
      () => drive(records, ours()),
      ROUNDS,
    );
    rows.push([label, baseline, mine]);
  };
  compare('bytes, flush at 1000 records', buffers, () => bufferBySizeOrTime({ maxRecords: 1000 }));
  compare('bytes, flush at 125 KiB (≈1000)', buffers, () => bufferBySizeOrTime({ maxBytes: 125 * 1024 }));
  compare('strings (UTF-8 counted), 125 KiB', strings, () => bufferBySizeOrTime({ maxBytes: 125 * 1024 }));

  for (const [label, baseline, mine] of rows) {
    console.log(
      `  ${label.padEnd(34)} bufferCount(1000) ${perSecond(RECORDS, baseline, 'records').padStart(18)}` +
        `   bufferBySizeOrTime ${perSecond(RECORDS, mine, 'records').padStart(18)}   ratio ${(baseline / mine).toFixed(2)}×`,
    );
  }

  const lowest = Math.min(...rows.map(([, baseline, mine]) => baseline / mine));
  if (where === 'own process') {
    console.log(
      `  ${lowest >= 1 ? 'PASS' : 'FAIL'} bufferBySizeOrTime ÷ bufferCount, lowest of the three: ${lowest.toFixed(2)}× (goal ≥ 1.00×, own process)`,
    );
  } else {
    console.log(
      `  bufferBySizeOrTime ÷ bufferCount after the other benchmarks in this process, lowest of the three: ${lowest.toFixed(2)}× (information)`,
    );
    return lowest;
  }

  // No quadratic work: the cost per record stays flat as batches grow from 1,000 to 1,000,000 records.
  console.log('  cost per record as one batch grows (bytes records, byte budget only):');
  for (const perBatch of [1_000, 10_000, 100_000, 1_000_000]) {
    const ms = medianMs(() => drive(buffers, bufferBySizeOrTime({ maxBytes: perBatch * 151, maxRecords: perBatch })), ROUNDS);
    console.log(`    ${perBatch.toLocaleString('en').padStart(9)} records per batch: ${((ms * 1e6) / RECORDS).toFixed(1)} ns/record`);
  }
  return lowest;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) benchBufferBySizeOrTime();
