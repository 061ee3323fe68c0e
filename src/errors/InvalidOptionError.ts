/**
 * Thrown synchronously when an operator, source or destination is built with an invalid option.
 *
 * The message names the component, the option, the value it got and what is allowed, for example
 * `bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got -1`. The same facts are on the
 * error as fields, so tests and tools can check them without parsing the message.
 *
 * ## Example
 * ```ts
 * import { InvalidOptionError } from 'rx-firehose';
 * import { bufferBySizeOrTime } from 'rx-firehose/operators';
 *
 * try {
 *   bufferBySizeOrTime({ maxBytes: 0 });
 * } catch (err) {
 *   if (err instanceof InvalidOptionError) console.error(err.option, err.value, err.allowed);
 * }
 * ```
 */
export class InvalidOptionError extends RangeError {
  override readonly name = 'InvalidOptionError';

  constructor(
    /** The operator, source or destination that refused the option, e.g. `bufferBySizeOrTime`. */
    readonly component: string,
    /** The option's name, e.g. `maxBytes`. */
    readonly option: string,
    /** The value that was passed. */
    readonly value: unknown,
    /** What is allowed, in words, e.g. `a finite number > 0 (bytes)`. */
    readonly allowed: string,
  ) {
    super(`${component}: ${option} must be ${allowed}; got ${describeValue(value)}`);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  return `a value of type ${typeNameOf(value)}`;
}

/** `null`, `Array`, the constructor's name for class instances, otherwise `typeof`. */
export function typeNameOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'Array';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object';
}
