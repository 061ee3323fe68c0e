import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/** A Firehose numeric field's range and default. */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** Whole numbers only (Firehose's integer fields). Default `true`. */
  readonly integer?: boolean | undefined;
  /** Shown in the message, e.g. `MiB` or `seconds`. */
  readonly unit: string;
}

/**
 * Reads a numeric field (a number, or a numeric string for processor parameters) and checks it against
 * Firehose's range; returns the default when the field is absent. Throws {@link InvalidConfigurationError}
 * naming the field, the value and the range, as the Firehose API would.
 *
 * ## Example
 * ```ts
 * configNumber(hints.SizeInMBs, 'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs', { min: 1, max: 128, default: 5, unit: 'MiB' });
 * ```
 */
export function configNumber(value: unknown, field: string, range: NumberRange): number {
  if (value === undefined || value === null) return range.default;
  const integer = range.integer ?? true;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < range.min || n > range.max) {
    throw InvalidConfigurationError.invalid(
      field,
      value,
      `${integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max} (${range.unit})`,
    );
  }
  return n;
}
