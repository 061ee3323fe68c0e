import { gunzipSync } from 'node:zlib';
import type { OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkNumber } from '../options/checkNumber.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { checkProcessorOptions, type ProcessorOptions } from './checkProcessorOptions.js';
import { processEachRecord } from './processEachRecord.js';

const NAME = 'decompressRecords';

export interface DecompressRecordsOptions extends ProcessorOptions {
  /** Firehose's `CompressionFormat` parameter of the `Decompression` processor. Default and only value: `GZIP`. */
  readonly compressionFormat?: 'GZIP' | undefined;
  /**
   * A record that decompresses to more than this fails (a gzip bomb must not fill the heap). Default 64 MiB;
   * 1 – 1 GiB.
   */
  readonly maxDecompressedBytes?: number | undefined;
}

/**
 * Gunzips every record: Firehose's `Decompression` processor, as used for CloudWatch Logs subscriptions,
 * whose records arrive gzipped.
 *
 * <span class="informal">A record that is not gzip is delivered as is under `decompression-failed/`, as Firehose does; the others go on.</span>
 *
 * ```
 * source:  -g---x---h-|      g, h gzipped; x is not gzip
 * result:  -G-------H-|      G = gunzip(g); x → a decompression-failed failure record (its bytes as is in rawData)
 * ```
 *
 * The decompressed record keeps the original's id, arrival time, metadata and settlement. A record that
 * fails to decompress (not gzip, truncated, corrupt, or larger than `maxDecompressedBytes` once
 * decompressed) goes to `errorOutput` as a failure record of type `decompression-failed`
 * (`errorCode` `Decompression.Failed`) with its original bytes, compressed as they came, in `rawData`, and
 * settles once written. Concatenated gzip members decompress to their concatenation.
 *
 * ## Example
 * ```ts
 * import { decompressRecords, extractCloudWatchLogMessages } from 'rx-firehose/operators';
 *
 * subscriptionRecords$.pipe(
 *   decompressRecords({ errorOutput: lake }),
 *   extractCloudWatchLogMessages({ errorOutput: lake }),
 * );
 * ```
 *
 * @param options The compression format, the size bound, the error output and the scheduler.
 * @returns An operator from compressed records to decompressed records.
 * @throws {InvalidOptionError} for a compression format other than GZIP, or a bound out of range.
 * @see extractCloudWatchLogMessages
 */
export function decompressRecords(options?: DecompressRecordsOptions): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  const { options: o, errorOutput, scheduler } = checkProcessorOptions(NAME, options);
  if (o.compressionFormat !== undefined && o.compressionFormat !== 'GZIP')
    throw new InvalidOptionError(
      NAME,
      'compressionFormat',
      o.compressionFormat,
      '"GZIP" (the only format of Firehose\'s Decompression processor)',
    );
  const maxOutputLength = checkNumber(NAME, 'maxDecompressedBytes', o.maxDecompressedBytes, 64 * 1024 * 1024, {
    min: 1,
    max: 1024 * 1024 * 1024,
    integer: true,
    unit: 'bytes',
  });
  return processEachRecord({ stage: 'Decompression', errorOutput, scheduler }, (record) => {
    try {
      const out = gunzipSync(record.data, { maxOutputLength });
      return { ok: true, data: [new Uint8Array(out.buffer, out.byteOffset, out.byteLength)] };
    } catch (err) {
      const message =
        (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
          ? `the record decompresses to more than maxDecompressedBytes (${maxOutputLength})`
          : `the record is not valid GZIP: ${(err as Error).message}`;
      return { ok: false, errorOutputType: 'decompression-failed', errorCode: 'Decompression.Failed', errorMessage: message };
    }
  });
}
