import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/**
 * Runs `build` (a factory of operators, sources or destinations) and turns an {@link InvalidOptionError} it
 * throws into an {@link InvalidConfigurationError} on the configuration field the option came from
 * (`fields` maps option names to field paths); other errors pass unchanged.
 *
 * ## Example
 * ```ts
 * asConfigurationError(() => directoryDestination({ path, prefix }), { prefix: 'ExtendedS3DestinationConfiguration.Prefix' });
 * ```
 */
export function asConfigurationError<T>(build: () => T, fields: Readonly<Record<string, string>>): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof InvalidOptionError && fields[err.option] !== undefined) {
      const field = fields[err.option]!;
      throw new InvalidConfigurationError(field, `${field} must be ${err.allowed}; got ${JSON.stringify(err.value) ?? String(err.value)}`, {
        cause: err,
      });
    }
    throw err;
  }
}
