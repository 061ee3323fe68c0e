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
  /**
   * Converts a batch: returns the indexes of the records that converted and the records that did not (to
   * `format-conversion-failed/`). The records that converted are written as one file per group (`groupOf`:
   * the object a record goes to, e.g. its partition; default one group), kept for {@link encode}.
   */
  check(batch: readonly unknown[], groupOf?: (record: unknown) => string): Promise<{ items: number[]; failed: ItemFailure[] }>;
  /** One object's body: the records (all of which passed {@link check}) as one file with one row group. */
  encode(records: readonly unknown[]): Promise<Uint8Array>;
}
