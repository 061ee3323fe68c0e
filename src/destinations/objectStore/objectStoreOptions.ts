import { checkCompression } from '../../codecs/checkCompression.js';
import { extensionOf, type Compression } from '../../codecs/compression.js';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkStreamName } from '../../keys/checkStreamName.js';
import { compilePrefix, type CompiledKeyLayout } from '../../keys/compilePrefix.js';
import { objectName } from '../../keys/objectName.js';
import { checkNumber } from '../../options/checkNumber.js';
import type { DataFormatConversion } from '../../processing/parquet/DataFormatConversion.js';

/** The options an S3 destination and a directory destination share: Firehose's object layout. */
export interface ObjectStoreOptions {
  /** The stream's name, first part of every object name: 1–64 characters of `[a-zA-Z0-9_.-]`. Default `rx-firehose`. */
  readonly streamName?: string | undefined;
  /** The stream's version, second part of every object name. Default 1. */
  readonly streamVersion?: number | undefined;
  /** Firehose's `Prefix`, with `!{timestamp:…}`, `!{firehose:random-string}`, `!{partitionKeyFrom…:…}`. Default `yyyy/MM/dd/HH/`. */
  readonly prefix?: string | undefined;
  /** Firehose's `ErrorOutputPrefix`. Default `<prefix><error-output-type>/yyyy/MM/dd/HH/`. */
  readonly errorOutputPrefix?: string | undefined;
  /** Enables `!{partitionKeyFromLambda:…}` / `!{partitionKeyFromQuery:…}`: one object per partition of a batch. */
  readonly dynamicPartitioning?: boolean | undefined;
  /** `UNCOMPRESSED` (default), `GZIP`, `ZIP`, `Snappy` (framing format) or `HADOOP_SNAPPY`. */
  readonly compression?: Compression | undefined;
  /** Replaces the compression's extension (`.gz`, …); `''` for none. */
  readonly fileExtension?: string | undefined;
  /** Deflate level for GZIP and ZIP, 0–9. Default 6. */
  readonly gzipLevel?: number | undefined;
  /**
   * Derive the random part of object names from the batch's content (the `recordId`s of its first and last
   * records and their count, or a hash of the bytes of records without ids) instead of at random, so that a
   * batch replayed after a crash overwrites its own object instead of adding a duplicate. It helps exactly
   * when a replayed batch holds the same records as the original (a replayable source re-reading from a
   * checkpoint with count-bounded batches); record ids must then be stable across replays (Kinesis sequence
   * numbers are). Default `false`: a random name per batch, stable across that batch's retries.
   */
  readonly deterministicNames?: boolean | undefined;
  /** How long to retry a batch, counted from its first failure. Default 24 h, as Firehose does for S3. */
  readonly retryDurationMs?: number | undefined;
  /**
   * Firehose's record format conversion (made by `parquetConversion`): each object is one Parquet file of
   * the batch's records (extension `.parquet` unless `fileExtension`), records that do not convert go to
   * `format-conversion-failed/`. `compression` must then be `UNCOMPRESSED` (the file compresses its pages).
   */
  readonly dataFormatConversion?: DataFormatConversion | undefined;
}

/** The checked options, ready to lay out objects. */
export interface ObjectStoreLayout {
  readonly keys: CompiledKeyLayout;
  readonly streamName: string;
  readonly streamVersion: number;
  readonly compression: Compression;
  readonly extension: string;
  readonly gzipLevel: number;
  readonly deterministicNames: boolean;
  readonly retryDurationMs: number;
  /** Each object's body is this conversion's encoding of its records, not their concatenation. */
  readonly conversion?: DataFormatConversion | undefined;
}

/** Firehose's retry duration for S3: 24 h. */
export const S3_RETRY_DURATION_MS = 86_400_000;

/** Checks the shared options, throwing {@link InvalidOptionError} naming `component` and the option. */
export function checkObjectStoreOptions(component: string, options: ObjectStoreOptions): ObjectStoreLayout {
  const streamName = checkStreamName(component, 'streamName', options.streamName ?? 'rx-firehose');
  const streamVersion = checkNumber(component, 'streamVersion', options.streamVersion, 1, { min: 1, integer: true });
  const compression = checkCompression(component, 'compression', options.compression ?? 'UNCOMPRESSED');
  const conversion = checkConversion(component, options.dataFormatConversion, compression);
  const extension = options.fileExtension ?? conversion?.extension ?? extensionOf(compression);
  try {
    // objectName validates the extension with Firehose's FileExtension rule.
    objectName({ streamName, arrivalMs: 0, random: () => 'x', extension });
  } catch (err) {
    if (err instanceof InvalidOptionError) throw new InvalidOptionError(component, 'fileExtension', options.fileExtension, err.allowed);
    throw err;
  }
  const deterministicNames = options.deterministicNames ?? false;
  if (typeof deterministicNames !== 'boolean')
    throw new InvalidOptionError(component, 'deterministicNames', deterministicNames, 'true or false');
  return {
    keys: compilePrefix({
      component,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.errorOutputPrefix === undefined ? {} : { errorOutputPrefix: options.errorOutputPrefix }),
      ...(options.dynamicPartitioning === undefined ? {} : { dynamicPartitioning: options.dynamicPartitioning }),
    }),
    streamName,
    streamVersion,
    compression,
    extension,
    gzipLevel: checkNumber(component, 'gzipLevel', options.gzipLevel, 6, { min: 0, max: 9, integer: true }),
    deterministicNames,
    retryDurationMs: checkNumber(component, 'retryDurationMs', options.retryDurationMs, S3_RETRY_DURATION_MS, {
      min: 0,
      max: S3_RETRY_DURATION_MS,
      unit: 'ms',
    }),
    ...(conversion === undefined ? {} : { conversion }),
  };
}

function checkConversion(component: string, conversion: unknown, compression: Compression): DataFormatConversion | undefined {
  if (conversion === undefined) return undefined;
  const c = conversion as Partial<DataFormatConversion> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.check !== 'function' ||
    typeof c.encode !== 'function' ||
    typeof c.extension !== 'string'
  ) {
    throw new InvalidOptionError(component, 'dataFormatConversion', conversion, 'a conversion made by parquetConversion');
  }
  if (compression !== 'UNCOMPRESSED') {
    throw new InvalidOptionError(
      component,
      'compression',
      compression,
      'UNCOMPRESSED with a dataFormatConversion (the Parquet file compresses its pages)',
    );
  }
  return c as DataFormatConversion;
}
