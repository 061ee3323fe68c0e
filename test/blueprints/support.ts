import { Buffer } from 'node:buffer';
import { from, lastValueFrom, toArray } from 'rxjs';
import { transformWithLambda } from '../../operators/index.js';
import type { FirehoseRecord, LocalTransformation } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';

/** Runs `data` (one record each) through `transformWithLambda(handler)`: the records out (as text) and the failure records written. */
export async function runBlueprint(handler: LocalTransformation, data: ReadonlyArray<string | Uint8Array>) {
  const errors = memoryDestination<FirehoseRecord>();
  const input: FirehoseRecord[] = data.map((d, i) => ({
    recordId: `r${i}`,
    data: typeof d === 'string' ? Buffer.from(d, 'utf8') : d,
    approximateArrivalTimestamp: 1_000 + i,
  }));
  const out = await lastValueFrom(from(input).pipe(transformWithLambda(handler, { errorOutput: errors, numberOfRetries: 0 }), toArray()));
  const failures = errors.failureWrites.flatMap((w) => w.failures);
  return {
    out: out.map((r) => ({ recordId: r.recordId, text: Buffer.from(r.data).toString('utf8') })),
    texts: out.map((r) => Buffer.from(r.data).toString('utf8')),
    failures,
    failedRaw: failures.map((f) => Buffer.from(f.rawData, 'base64')),
  };
}
