import { budgetFull } from '../batching/budgetFull.js';
import { concat, defer, EMPTY, groupBy, map, merge, mergeMap, Observable, Subject, tap, throwError, type OperatorFunction } from 'rxjs';
import { bufferBySizeOrTime, DEFAULT_MAX_BYTES, DEFAULT_MAX_MS } from '../../operators/bufferBySizeOrTime.js';
import { writeProcessingFailures } from './writeProcessingFailures.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkFunction } from '../options/checkFunction.js';
import { checkNumber } from '../options/checkNumber.js';
import { byteSizeOf } from '../records/byteSizeOf.js';
import { checkProcessorOptions, type ProcessorOptions } from './checkProcessorOptions.js';

const NAME = 'bufferByPartition';
/** Firehose's default limit of active partitions per stream. */
export const DEFAULT_MAX_ACTIVE_PARTITIONS = 500;
/** Default bound on the bytes buffered over all partitions: 256 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

export interface BufferByPartitionOptions<T> extends ProcessorOptions {
  /** The partition a record belongs to (e.g. the key layout's `partitionIdFor`). Records with equal ids share a buffer. */
  readonly partitionOf: (record: T) => string;
  /** Each partition's buffer size, as in `bufferBySizeOrTime`. Default 1 MiB. */
  readonly maxBytes?: number | undefined;
  /** Each partition's buffer interval, counted from its first record. Default 60 s. */
  readonly maxMs?: number | undefined;
  /** Most records in one partition's batch. Default: no limit. */
  readonly maxRecords?: number | undefined;
  /** Partitions with buffered records at once; a record that would open one more goes to `activePartitionExceeded`. Default 500; 1 – 1,000,000. */
  readonly maxActivePartitions?: number | undefined;
  /** Bytes buffered over all partitions; past it, the largest partition is flushed at once. Default 256 MiB. */
  readonly maxBufferedBytes?: number | undefined;
  /** Size of a record. Default `byteSizeOf`. */
  readonly sizeOf?: ((record: T) => number) | undefined;
}

/**
 * Buffers records per partition, one `bufferBySizeOrTime` buffer each, as Firehose does with dynamic
 * partitioning: a batch holds one partition's records only.
 *
 * <span class="informal">Per-partition size-or-time buffers, a cap on active partitions, and one memory bound over all of them.</span>
 *
 * ```
 * maxMs: 5, maxActivePartitions: 2, partition = the letter
 * source:  a-b-a-c---------|
 * result:  -----x-y-------(z|)
 * x = [a, a] (5 ms after the first a), y = [b]; c came while a and b were active: activePartitionExceeded
 * ```
 *
 * 1. A partition is **active** while it has buffered records. A record for a new partition while
 *    `maxActivePartitions` are active does not open one: it goes to `errorOutput` as a failure record of
 *    type `activePartitionExceeded` (`errorCode` `DynamicPartitioning.ActivePartitionExceeded`) and settles
 *    once written. A partition whose batch was emitted is no longer active.
 * 2. Each partition flushes by its own size, record count and time, with `bufferBySizeOrTime`'s rules.
 * 3. **Memory**: when the bytes buffered over all partitions exceed `maxBufferedBytes`, the partition
 *    holding the most bytes is flushed at once (repeatedly, until under the bound).
 * 4. Completion flushes every partition, waits for failure records being written, then completes; a source
 *    error does the same, then passes the error on.
 *
 * ## Example
 * ```ts
 * import { bufferByPartition, extractPartitionKeys, deliverTo } from 'rx-firehose/operators';
 *
 * records$.pipe(
 *   extractPartitionKeys({ query: '{customer_id: .customer_id}', errorOutput: lake }),
 *   bufferByPartition({ partitionOf: (r) => r.queryPartitionKeys?.customer_id ?? '', maxBytes: 64 << 20, maxMs: 60_000, errorOutput: lake }),
 *   deliverTo(lake, { errorOutput: lake }),
 * );
 * ```
 *
 * @param options The partition function, each buffer's limits, the partition and memory bounds, the error output and the scheduler.
 * @returns An operator from records to one-partition batches.
 * @throws {InvalidOptionError} for an option out of its range.
 * @see extractPartitionKeys
 */
export function bufferByPartition<T>(options: BufferByPartitionOptions<T>): OperatorFunction<T, T[]> {
  const { options: o, errorOutput, scheduler } = checkProcessorOptions(NAME, options);
  const partitionOf = checkFunction<(record: T) => string>(NAME, 'partitionOf', o.partitionOf);
  if (partitionOf === undefined)
    throw new InvalidOptionError(NAME, 'partitionOf', o.partitionOf, 'a function from a record to its partition id');
  const maxBytes = checkNumber(NAME, 'maxBytes', o.maxBytes, DEFAULT_MAX_BYTES, { min: 0, minExclusive: true, unit: 'bytes' });
  const maxMs = checkNumber(NAME, 'maxMs', o.maxMs, DEFAULT_MAX_MS, { min: 0, unit: 'ms' });
  const maxRecords = o.maxRecords;
  const maxActive = checkNumber(NAME, 'maxActivePartitions', o.maxActivePartitions, DEFAULT_MAX_ACTIVE_PARTITIONS, {
    min: 1,
    max: 1_000_000,
    integer: true,
  });
  const maxBuffered = checkNumber(NAME, 'maxBufferedBytes', o.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, {
    min: 0,
    minExclusive: true,
    unit: 'bytes',
  });
  const sizeOf = checkFunction<(record: T) => number>(NAME, 'sizeOf', o.sizeOf) ?? (byteSizeOf as (record: T) => number);
  // Checked here, so that an invalid maxRecords throws at the call.
  bufferBySizeOrTime<T>({ maxBytes, maxMs, ...(maxRecords === undefined ? {} : { maxRecords }), scheduler });

  return (source) =>
    new Observable<T[]>((subscriber) => {
      /** Buffered bytes per active partition. */
      const active = new Map<string, number>();
      /** Completes a partition's group, which flushes its buffer; made when the group opens. */
      const closers = new Map<string, Subject<void>>();
      let buffered = 0;
      let bufferedRecords = 0;
      let sourceError: { error: unknown } | undefined;
      const entries = new Subject<{ record: T; partition: string }>();
      const overflow = new Subject<Observable<never>>();
      const abort = new AbortController();

      const close = (partition: string): void => {
        const closer = closers.get(partition);
        closers.delete(partition);
        closer?.next();
      };
      const batches = entries.pipe(
        groupBy(({ partition }) => partition, {
          duration: (group) => {
            const closer = new Subject<void>();
            closers.set(group.key, closer);
            return closer;
          },
        }),
        mergeMap((group) =>
          group.pipe(
            map(({ record }) => record),
            bufferBySizeOrTime<T>({ maxBytes, maxMs, ...(maxRecords === undefined ? {} : { maxRecords }), sizeOf, scheduler }),
            tap((batch) => {
              let bytes = 0;
              for (const record of batch) bytes += sizeOf(record);
              buffered -= bytes;
              bufferedRecords -= batch.length;
              const left = (active.get(group.key) ?? 0) - bytes;
              if (left > 0) active.set(group.key, left);
              else {
                // Nothing buffered: the partition is no longer active, and its group can go (completing an
                // empty buffer emits nothing).
                active.delete(group.key);
                close(group.key);
              }
            }),
          ),
        ),
      );
      const output = concat(
        merge(batches, overflow.pipe(mergeMap((write) => write))),
        defer(() => (sourceError === undefined ? EMPTY : throwError(() => sourceError!.error))),
      ).subscribe(subscriber);

      const input = source.subscribe({
        next: (record) => {
          let partition: string;
          let bytes: number;
          try {
            partition = partitionOf(record);
            bytes = sizeOf(record);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          const held = active.get(partition);
          if (held === undefined && active.size >= maxActive) {
            overflow.next(rejected(record, partition, abort.signal));
            return;
          }
          active.set(partition, (held ?? 0) + bytes);
          buffered += bytes;
          bufferedRecords++;
          entries.next({ record, partition });
          // Over the memory bound, or holding most of what a full source has in flight (which reads nothing
          // more until records settle: bufferBySizeOrTime's rule 10, over all partitions): flush the largest
          // partitions (synchronously) until neither holds.
          while ((buffered > maxBuffered || budgetFull(bufferedRecords, buffered)) && active.size > 0) {
            let largest = '';
            let most = -1;
            for (const [p, b] of active) {
              if (b > most) {
                most = b;
                largest = p;
              }
            }
            const before = buffered;
            close(largest);
            if (buffered === before) break;
          }
        },
        error: (error: unknown) => {
          sourceError = { error };
          entries.complete();
          overflow.complete();
        },
        complete: () => {
          entries.complete();
          overflow.complete();
        },
      });

      return () => {
        input.unsubscribe();
        output.unsubscribe();
        abort.abort();
      };
    });

  function rejected(record: T, partition: string, signal: AbortSignal): Observable<never> {
    return writeProcessingFailures(
      {
        stage: NAME,
        errorOutputType: 'activePartitionExceeded',
        batchId: `${NAME}/${scheduler.now()}/${partition}`,
        records: [record],
        reasons: [
          {
            errorCode: 'DynamicPartitioning.ActivePartitionExceeded',
            errorMessage: `${maxActive} partitions are active (maxActivePartitions); partition ${partition} could not be opened`,
          },
        ],
        errorOutput,
        scheduler,
      },
      signal,
    );
  }
}
