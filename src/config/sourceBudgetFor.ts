import { DEFAULT_MAX_IN_FLIGHT_BYTES, DEFAULT_MAX_IN_FLIGHT_RECORDS } from '../sources/lines/fromLines.js';

const MIB = 1_048_576;
/** `fromLines`' default record budget fits a 1 MiB buffer (two batches of 128-byte lines): as much per MiB. */
const RECORDS_PER_MIB = DEFAULT_MAX_IN_FLIGHT_RECORDS;

/**
 * The in-flight budget a source needs to feed buffers that hold `bufferedBytes` before they flush by size (a
 * delivery stream's `DeliveryStreamPlan.bufferedBytes`): twice that many bytes, so that a batch fills while
 * the last one is delivered, and at least the sources' default 64 MiB; for `fromLines`, 16,384 records per MiB
 * buffered (its default, 16,384, is sized for one 1 MiB buffer), at least that default.
 *
 * Less, and reading stops before the buffers fill: `bufferBySizeOrTime` then flushes what it holds when the
 * budget fills (objects smaller than their `SizeInMBs`), and a buffer behind an asynchronous stage (a Lambda
 * processor), which is not told that reading stopped, waits for its interval.
 *
 * ## Example
 * ```ts
 * const plan = planDeliveryStream(input, { records: defer(() => fromLines(stdin, sourceBudgetFor(plan.bufferedBytes))) });
 * ```
 */
export function sourceBudgetFor(bufferedBytes: number): { maxInFlightBytes: number; maxInFlightRecords: number } {
  return {
    maxInFlightBytes: Math.max(DEFAULT_MAX_IN_FLIGHT_BYTES, 2 * bufferedBytes),
    maxInFlightRecords: Math.max(RECORDS_PER_MIB, Math.ceil((RECORDS_PER_MIB * bufferedBytes) / MIB)),
  };
}
