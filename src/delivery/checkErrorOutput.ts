import type { ErrorOutput } from '../destinations/Destination.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** Throws {@link InvalidOptionError} unless `value` is undefined or an {@link ErrorOutput}; returns it. */
export function checkErrorOutput(component: string, option: string, value: unknown): ErrorOutput | undefined {
  if (value === undefined) return undefined;
  const out = value as Partial<ErrorOutput> | null;
  if (typeof out !== 'object' || out === null || typeof out.buildFailures !== 'function' || typeof out.send !== 'function') {
    throw new InvalidOptionError(
      component,
      option,
      value,
      'an ErrorOutput (an object with name, buildFailures and send), such as a destination',
    );
  }
  return value as ErrorOutput;
}
