import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/**
 * Returns `value`, or `undefined` when it is `undefined`; throws {@link InvalidOptionError} naming the
 * component, the option and the value when it is anything but a function (`null` included).
 */
export function checkFunction<F extends (...args: never[]) => unknown>(component: string, option: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidOptionError(component, option, value, 'a function');
  return value as F;
}
