import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/** The fields of one configuration object, as Firehose's API model defines them. */
export interface FieldRules {
  /** Fields rx-firehose maps (or accepts, as documented in docs/configuration.md). */
  readonly supported: readonly string[];
  /** Fields Firehose defines that rx-firehose refuses by name. */
  readonly notYet?: readonly string[] | undefined;
  /** Fields that must be present. */
  readonly required?: readonly string[] | undefined;
}

/**
 * Checks that `value` is an object whose fields are all known and supported, and that the required ones
 * are present; returns it typed as a record. A field Firehose defines but rx-firehose does not support yet
 * throws `<path>.<field> is not supported yet`; a field Firehose does not define throws
 * `<path>.<field> is not a field of <path>`.
 *
 * ## Example
 * ```ts
 * const hints = checkFields(config.BufferingHints, 'ExtendedS3DestinationConfiguration.BufferingHints', {
 *   supported: ['SizeInMBs', 'IntervalInSeconds'],
 * });
 * ```
 */
export function checkFields(value: unknown, path: string, rules: FieldRules): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw InvalidConfigurationError.invalid(path, value, 'an object');
  }
  const fields = value as Record<string, unknown>;
  for (const [name, v] of Object.entries(fields)) {
    if (v === undefined || rules.supported.includes(name)) continue;
    if (rules.notYet?.includes(name)) throw InvalidConfigurationError.unsupported(join(path, name));
    throw new InvalidConfigurationError(
      join(path, name),
      `${join(path, name)} is not a field of ${path === '' ? 'CreateDeliveryStream' : path}`,
    );
  }
  for (const name of rules.required ?? []) {
    if (fields[name] === undefined || fields[name] === null)
      throw InvalidConfigurationError.invalid(join(path, name), undefined, 'present');
  }
  return fields;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
