import type { ItemFailure } from '../../destinations/Destination.js';

/**
 * A record format conversion an object store destination applies to each object it writes (Firehose's
 * `DataFormatConversionConfiguration`): made by {@link parquetConversion}. Give it to `s3Destination` or
 * `directoryDestination` as `dataFormatConversion`.
 */
export interface DataFormatConversion {
  /** `parquet`. */
  readonly format: 'parquet';
  /** The default extension of the objects it writes: `.parquet`. */
  readonly extension: string;
  /** Converts each record of a batch, returning the indexes that converted and the records that did not (to `format-conversion-failed/`). */
  check(batch: readonly unknown[]): { items: number[]; failed: ItemFailure[] };
  /** One object's body: the records (all of which passed {@link check}) as one file with one row group. */
  encode(records: readonly unknown[]): Promise<Uint8Array>;
}
