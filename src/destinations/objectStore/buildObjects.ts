import { createHash } from 'node:crypto';
import { PartitionKeyError } from '../../keys/PartitionKeyError.js';
import { arrivalTimeOf } from '../../records/arrivalTimeOf.js';
import { dataOf } from '../../records/dataOf.js';
import type { ItemFailure } from '../Destination.js';
import type { ObjectStoreLayout } from './objectStoreOptions.js';
import { layOutObject } from './layOutObject.js';
import { partitionKeysOf } from './partitionKeysOf.js';

/** One object to store: its key, its (compressed) bytes, and which items of the batch it holds. */
export interface StoreObject {
  readonly key: string;
  readonly body: Uint8Array;
  /** Indexes into the batch, in order. */
  readonly indexes: readonly number[];
  /** Uncompressed bytes. */
  readonly rawBytes: number;
}

/**
 * Lays a batch out as Firehose does: one object per partition (one object when the prefix uses no partition
 * keys), keyed `<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>` from the oldest
 * record's arrival time, records concatenated as they are, then compressed. Records whose partition keys
 * cannot fill the prefix are returned as permanent item failures. Names derive from `batchId` (or, with
 * `deterministicNames`, from the first record), so every retry of a batch writes the same keys.
 */
export async function buildObjects<T>(
  batch: readonly T[],
  layout: ObjectStoreLayout,
  batchId: string,
  nowMs: number,
  stage: string,
): Promise<{ objects: StoreObject[]; failed: ItemFailure[] }> {
  const failed: ItemFailure[] = [];
  // Without partition keys the whole batch is one object: no per-record grouping work.
  const groups = new Map<string, number[]>();
  if (!layout.keys.usesPartitionKeys) groups.set('', allIndexes(batch.length));
  else {
    batch.forEach((record, index) => {
      let partition: string;
      try {
        partition = layout.keys.partitionIdFor(partitionKeysOf(record));
      } catch (err) {
        if (!(err instanceof PartitionKeyError)) throw err;
        failed.push({ index, errorCode: 'DynamicPartitioning.PartitionKeyError', errorMessage: err.message, retriable: false });
        return;
      }
      const group = groups.get(partition);
      if (group === undefined) groups.set(partition, [index]);
      else group.push(index);
    });
  }

  const laidOut = await Promise.all(
    [...groups].map(async ([partition, candidates]): Promise<StoreObject | undefined> => {
      let oldest = Number.POSITIVE_INFINITY;
      const indexes: number[] = [];
      const chunks: Uint8Array[] = [];
      let rawBytes = 0;
      for (const i of candidates) {
        const record = batch[i];
        let data: Uint8Array;
        try {
          data = dataOf(record);
        } catch (err) {
          // A record without bytes can never be stored: it goes to the error output, not into a retry loop.
          failed.push({ index: i, errorCode: `${stage}.InvalidRecord`, errorMessage: (err as Error).message, retriable: false });
          continue;
        }
        const arrival = arrivalTimeOf(record, nowMs);
        if (arrival < oldest) oldest = arrival;
        indexes.push(i);
        chunks.push(data);
        rawBytes += data.byteLength;
      }
      if (indexes.length === 0) return undefined;
      const first = batch[indexes[0]!]!;
      // With a format conversion, the object is one file of the group's records (one row group), not their concatenation.
      const contents = layout.conversion === undefined ? chunks : [await layout.conversion.encode(indexes.map((i) => batch[i]))];
      // The name must change with the content: a partial retry stores a subset of the batch and must not
      // overwrite what the first attempt stored.
      const content = contentSignature(batch, indexes);
      const seed = layout.deterministicNames ? `${layout.streamName}/${partition}/${content}` : `${batchId}/${partition}/${content}`;
      const { key, body } = await layOutObject(
        layout,
        oldest,
        seed,
        (random) => layout.keys.prefixFor({ arrivalMs: oldest, random, ...partitionKeysOf(first) }),
        contents,
      );
      return { key, body, indexes, rawBytes };
    }),
  );
  const objects = laidOut.filter((o): o is StoreObject => o !== undefined);
  return { objects, failed };
}

function allIndexes(n: number): number[] {
  const indexes = new Array<number>(n);
  for (let i = 0; i < n; i++) indexes[i] = i;
  return indexes;
}

/** Identifies what an object holds: the ids of its first and last records and their count, or a hash of the bytes of records without ids. */
function contentSignature(batch: readonly unknown[], indexes: readonly number[]): string {
  const idOf = (record: unknown): unknown =>
    typeof record === 'object' && record !== null ? (record as { recordId?: unknown }).recordId : undefined;
  const first = idOf(batch[indexes[0]!]);
  const last = idOf(batch[indexes[indexes.length - 1]!]);
  if (typeof first === 'string' && typeof last === 'string') return `${indexes.length}:${first}:${last}`;
  const hash = createHash('sha256');
  for (const i of indexes) hash.update(dataOf(batch[i]));
  return `${indexes.length}:${hash.digest('hex')}`;
}
