import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/** What a string field must look like. */
export interface StringRule {
  readonly minLength?: number | undefined;
  readonly maxLength: number;
  readonly pattern?: RegExp | undefined;
  /** The rule in words, for the message. */
  readonly description: string;
}

/**
 * Reads an optional string field and checks its length and pattern (Firehose's API model constraints);
 * returns `undefined` when it is absent. Throws {@link InvalidConfigurationError} naming the field.
 *
 * ## Example
 * ```ts
 * configString(config.Prefix, 'ExtendedS3DestinationConfiguration.Prefix', { maxLength: 1024, description: 'at most 1024 characters' });
 * ```
 */
export function configString(value: unknown, field: string, rule: StringRule): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'string' ||
    value.length < (rule.minLength ?? 0) ||
    value.length > rule.maxLength ||
    (rule.pattern !== undefined && !rule.pattern.test(value))
  ) {
    throw InvalidConfigurationError.invalid(field, value, rule.description);
  }
  return value;
}
