import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/**
 * Returns `value`, or `fallback` when it is `undefined`; throws {@link InvalidOptionError} naming the
 * component, the option and the value when it is not a plain object (`null`, arrays and functions included).
 */
export function checkObject<O extends object>(component: string, option: string, value: unknown, fallback: O, allowed = 'an object'): O {
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidOptionError(component, option, value, allowed);
  return value as O;
}
