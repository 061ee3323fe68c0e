import { from, lastValueFrom, toArray } from 'rxjs';
import { directoryDestination, toRecords, type DeliveryResult, type FirehoseRecord } from '../../src/index.js';
import { bufferBySizeOrTime, deliverTo, teeBackup, transformWithLambda } from '../../operators/index.js';
import { handler } from './blueprint.js';

/**
 * Firehose with a Lambda transformation and source record backup, on a local directory:
 * lines → records → teeBackup(raw/, untransformed) → transformWithLambda(blueprint) → buffer →
 * deliverTo(lake/customer=<key>/…, dynamic partitioning), failures to errors/processing-failed/….
 *
 * Run it: `node --import tsx examples/transform/pipeline.ts ./transform-out`
 */
export async function runTransformPipeline(outDir: string, lines: readonly string[]): Promise<DeliveryResult<FirehoseRecord>[]> {
  const raw = directoryDestination<FirehoseRecord>({ path: `${outDir}/raw`, streamName: 'clicks' });
  const lake = directoryDestination<FirehoseRecord>({
    path: `${outDir}/lake`,
    streamName: 'clicks',
    prefix: 'customer=!{partitionKeyFromLambda:customer}/',
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    dynamicPartitioning: true,
  });
  return lastValueFrom(
    from(lines).pipe(
      toRecords({ appendNewline: true }),
      teeBackup(raw, { errorOutput: raw }),
      transformWithLambda(handler, { errorOutput: lake }),
      bufferBySizeOrTime(),
      deliverTo(lake, { errorOutput: lake }),
      toArray(),
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? './transform-out';
  const lines = [
    JSON.stringify({ customer: 'acme', level: 'warn', msg: 'disk at 80%' }),
    JSON.stringify({ type: 'heartbeat' }),
    'this line is not JSON',
    JSON.stringify({ customer: 'globex', msg: 'hello' }),
  ];
  const results = await runTransformPipeline(out, lines);
  for (const r of results) console.log(r.status, r.records.length, 'records →', r.location, r.errorLocation ?? '');
}
