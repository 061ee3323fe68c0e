import { randomBytes } from 'node:crypto';
import { defer, from, map, mergeMap, type OperatorFunction } from 'rxjs';
import { checkDirectoryOptions } from '../src/destinations/directory/options.js';
import { writeObjectAtomically } from '../src/destinations/directory/service.js';
import { buildObjects } from '../src/destinations/objectStore/buildObjects.js';
import { byteSizeOf } from '../src/records/byteSizeOf.js';
import { settlementOf } from '../src/settlement/sideTable.js';

/**
 * BASELINE for the delivery benchmark, not library code: the previous engine's design reduced to its loop,
 * `mergeMap(batch => deliver(batch), concurrency)` with a `deliver(batch, attempt) → ack` that lays the
 * batch out, compresses and writes it (every attempt), then settles each record and emits a result. No
 * retries, slots, stages, acknowledgements or error output: what the v2 engine adds around the same build
 * and the same write is what the comparison measures.
 */
export function baselineDeliverToDirectory<T>(options: {
  path: string;
  fsync: boolean;
  concurrency: number;
}): OperatorFunction<readonly T[], { records: readonly T[]; bytes: number; location: string }> {
  const config = checkDirectoryOptions({ path: options.path, compression: 'GZIP', fsync: options.fsync });
  const prefix = randomBytes(8).toString('hex');
  let sequence = 0;
  const deliver = async (batch: readonly T[], batchId: string): Promise<string> => {
    const { objects } = await buildObjects(batch, config, batchId, Date.now(), 'Directory');
    const signal = new AbortController().signal;
    const locations = await Promise.all(objects.map((o) => writeObjectAtomically(config.root, o.key, o.body, config.fsync, signal)));
    return locations.join(' ');
  };
  return mergeMap(
    (records) =>
      defer(() => from(deliver(records, `${prefix}-${sequence++}`))).pipe(
        map((location) => {
          let bytes = 0;
          for (const record of records) {
            bytes += byteSizeOf(record);
            settlementOf(record)?.settle('delivered');
          }
          return { records, bytes, location };
        }),
      ),
    options.concurrency,
  );
}
