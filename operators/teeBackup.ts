import { mergeMap, Observable, Subject, tap, type OperatorFunction } from 'rxjs';
import { batchDelivery, type DeliveryOptions } from '../src/delivery/batchDelivery.js';
import type { DeliveryResult } from '../src/delivery/DeliveryResult.js';
import type { Destination } from '../src/destinations/Destination.js';
import { InvalidOptionError } from '../src/errors/InvalidOptionError.js';
import { checkKind } from '../src/options/checkKind.js';
import { checkFunction } from '../src/options/checkFunction.js';
import { checkNumber } from '../src/options/checkNumber.js';
import { checkObject } from '../src/options/checkObject.js';
import { byteSizeOf } from '../src/records/byteSizeOf.js';
import type { Settlement } from '../src/settlement/Settlement.js';
import { LostSettlementError } from '../src/settlement/LostSettlementError.js';
import { attachSettlement, settlementOf } from '../src/settlement/sideTable.js';
import { isOutstandingCopy } from '../src/settlement/watchSettlement.js';
import { bufferBySizeOrTime } from './bufferBySizeOrTime.js';

const NAME = 'teeBackup';
const MIB = 1_048_576;

export interface TeeBackupOptions<T> extends DeliveryOptions<T> {
  /** Byte budget of a backup batch. Default 5 MiB; Firehose's range 1–128 MiB. */
  readonly maxBytes?: number | undefined;
  /** Time limit of a backup batch after its first record. Default 300 s; Firehose's range 60–900 s. */
  readonly maxMs?: number | undefined;
  /** Record limit of a backup batch. Default: none. */
  readonly maxRecords?: number | undefined;
  /**
   * Enforce Firehose's ranges for the backup buffer (1–128 MiB, 60–900 s: no zero buffering for backups).
   * Default `true`; `false` accepts any `bufferBySizeOrTime` values (for tests and small local setups).
   */
  readonly firehoseRanges?: boolean | undefined;
  /** Told of every backup batch's result. */
  readonly onResult?: ((result: DeliveryResult<T>) => void) | undefined;
}

interface Entry<T> {
  readonly record: T;
  /** Measured once, here: the buffer and the engine both use it. */
  readonly size: number;
  readonly settlement: Settlement | undefined;
}

/**
 * Passes every record through unchanged and, in parallel, delivers a copy of the untransformed records to
 * a backup destination.
 *
 * <span class="informal">Firehose's source record backup: put it before `transformWithLambda`.</span>
 *
 * ```
 * source:  -a-b-c|
 * result:  -a-b-c-----|     the same objects, in the same frames; completion waits for the backup to drain
 * backup:       [a,b,c] → destination (own buffer: 5 MiB / 300 s by default)
 * ```
 *
 * The backup path has its own buffer (`bufferBySizeOrTime` with Firehose's backup defaults, 5 MiB and
 * 300 s) and the same delivery machinery as `deliverTo`: retries, error output, concurrency and metrics
 * (named `BackupTo<name>.*`). A record with a settlement is settled only when both paths finished with it:
 * its settlement is forked, one part travelling on with the record, the other held by the backup.
 *
 * Completion of the source completes the output only after the backup drained (every backup batch
 * delivered or written to its error output). A source error drains the backup too, then passes the error
 * on. A backup that can deliver neither to its destination nor to its error output errors the stream with
 * `UndeliverableRecordsError`. Unsubscribing stops both paths.
 *
 * ## Example
 * ```ts
 * import { teeBackup, transformWithLambda, bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * records$.pipe(
 *   teeBackup(directoryDestination({ path: './raw-backup', streamName: 'clicks' })),
 *   bufferBySizeOrTime(),
 *   deliverTo(lake),
 * );
 * ```
 *
 * @param destination The backup destination.
 * @param options The backup buffer, plus `deliverTo`'s delivery options.
 * @returns An operator that mirrors its source, delivering a backup copy on the side.
 * @throws {InvalidOptionError} at the call, for an option out of its range.
 * @see deliverTo
 */
export function teeBackup<T>(destination: Destination, options: TeeBackupOptions<T> = {}): OperatorFunction<T, T> {
  checkObject(NAME, 'options', options, {});
  const strict = checkKind(NAME, 'firehoseRanges', options.firehoseRanges, 'boolean', true);
  const maxBytes = checkNumber(
    NAME,
    'maxBytes',
    options.maxBytes,
    5 * MIB,
    strict ? { min: MIB, max: 128 * MIB, unit: 'bytes' } : { min: 0, minExclusive: true, unit: 'bytes' },
  );
  const maxMs = checkNumber(
    NAME,
    'maxMs',
    options.maxMs,
    300_000,
    strict ? { min: 60_000, max: 900_000, unit: 'ms' } : { min: 0, unit: 'ms' },
  );
  const onResult = checkFunction<(result: DeliveryResult<T>) => void>(NAME, 'onResult', options.onResult);
  // Checks every delivery option (sizeOf, scheduler, random, metrics, …) before they are used below.
  const create = batchDelivery(NAME, destination, options, `BackupTo${destination?.name}`);
  const sizeOf = options.sizeOf ?? (byteSizeOf as (record: T) => number);
  const buffer = bufferBySizeOrTime<Entry<T>>({
    maxBytes,
    maxMs,
    ...(options.maxRecords === undefined ? {} : { maxRecords: options.maxRecords }),
    sizeOf: (entry) => entry.size,
    ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
  });

  return (source) =>
    new Observable<T>((subscriber) => {
      const { deliver, concurrency } = create();
      const backupInput = new Subject<Entry<T>>();
      // The source's error, held until the backup drained.
      let sourceError: { error: unknown } | undefined;

      const backup = backupInput
        .pipe(
          buffer,
          mergeMap(
            (entries) =>
              deliver({
                records: entries.map((e) => e.record),
                bytes: entries.reduce((sum, e) => sum + e.size, 0),
                // The backup's part of each record's settlement: the engine settles it, as for deliverTo.
                settlementAt: (i) => entries[i]!.settlement,
              }).pipe(tap((result) => onResult?.(result))),
            concurrency,
          ),
        )
        .subscribe({
          error: (err: unknown) => subscriber.error(err),
          complete: () => (sourceError === undefined ? subscriber.complete() : subscriber.error(sourceError.error)),
        });

      const main = source.subscribe({
        next: (record) => {
          let backupPart: Settlement | undefined;
          try {
            const settlement = settlementOf(record);
            if (settlement === undefined && isOutstandingCopy(record))
              throw new LostSettlementError([(record as { recordId: string }).recordId], NAME);
            if (settlement !== undefined) {
              const [mainPart, part] = settlement.fork(2);
              attachSettlement(record as object, mainPart!);
              backupPart = part;
            }
          } catch (err) {
            // A settlement that cannot be forked (already settled upstream): an error on the stream, not
            // an uncaught exception with the record gone.
            subscriber.error(err);
            return;
          }
          let size: number;
          try {
            size = sizeOf(record);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          backupInput.next({ record, size, settlement: backupPart });
          subscriber.next(record);
        },
        error: (err: unknown) => {
          sourceError = { error: err };
          backupInput.complete();
        },
        complete: () => backupInput.complete(),
      });

      return () => {
        main.unsubscribe();
        backup.unsubscribe();
      };
    });
}
