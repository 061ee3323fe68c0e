import { checkFields } from './checkFields.js';
import { configNumber } from './configNumber.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { MIB, type BufferingRanges } from './ranges.js';

/** A buffer's byte budget and time limit, for `bufferBySizeOrTime` or `teeBackup`. */
export interface Buffering {
  readonly maxBytes: number;
  readonly maxMs: number;
}

/**
 * Maps Firehose's `BufferingHints` (`SizeInMBs`, `IntervalInSeconds`) to a buffer's `maxBytes` and `maxMs`,
 * with the defaults and ranges of where they apply (S3, backup, HTTP endpoint, dynamic partitioning).
 * As in Firehose, giving one of the two requires the other.
 *
 * ## Example
 * ```ts
 * bufferingFromHints({ SizeInMBs: 64, IntervalInSeconds: 60 }, 'ExtendedS3DestinationConfiguration.BufferingHints', S3_BUFFERING);
 * // { maxBytes: 67108864, maxMs: 60000 }
 * ```
 */
export function bufferingFromHints(hints: unknown, path: string, ranges: BufferingRanges): Buffering {
  if (hints === undefined || hints === null) return { maxBytes: ranges.size.default * MIB, maxMs: ranges.interval.default * 1000 };
  const fields = checkFields(hints, path, { supported: ['SizeInMBs', 'IntervalInSeconds'] });
  const hasSize = fields.SizeInMBs !== undefined;
  const hasInterval = fields.IntervalInSeconds !== undefined;
  if (hasSize !== hasInterval) {
    const missing = hasSize ? 'IntervalInSeconds' : 'SizeInMBs';
    throw new InvalidConfigurationError(
      `${path}.${missing}`,
      `${path}.${missing} must be given with ${hasSize ? 'SizeInMBs' : 'IntervalInSeconds'} (Firehose takes both or neither)`,
    );
  }
  return {
    maxBytes: configNumber(fields.SizeInMBs, `${path}.SizeInMBs`, ranges.size) * MIB,
    maxMs: configNumber(fields.IntervalInSeconds, `${path}.IntervalInSeconds`, ranges.interval) * 1000,
  };
}
