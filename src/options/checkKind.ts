import type { SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** The kinds of non-numeric option, with what each must be. */
interface Kinds {
  function: (...args: never[]) => unknown;
  scheduler: SchedulerLike;
  signal: AbortSignal;
  boolean: boolean;
  string: string;
}

const ALLOWED: Readonly<Record<keyof Kinds, string>> = {
  function: 'a function',
  scheduler: 'an RxJS SchedulerLike (with schedule and now)',
  signal: 'an AbortSignal',
  boolean: 'true or false',
  string: 'a string',
};

const IS: Readonly<Record<keyof Kinds, (value: unknown) => boolean>> = {
  function: (v) => typeof v === 'function',
  scheduler: (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as SchedulerLike).now === 'function' &&
    typeof (v as SchedulerLike).schedule === 'function',
  signal: (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as AbortSignal).addEventListener === 'function' &&
    typeof (v as AbortSignal).aborted === 'boolean',
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
};

/**
 * Returns `value`, or `fallback` when it is `undefined`; throws {@link InvalidOptionError} naming the
 * component, the option and the value when it is not of `kind`. `null` is refused like any other wrong
 * value: it never silently means "the default".
 */
export function checkKind<K extends keyof Kinds, F extends Kinds[K] | undefined>(
  component: string,
  option: string,
  value: unknown,
  kind: K,
  fallback: F,
): Kinds[K] | F {
  if (value === undefined) return fallback;
  if (!IS[kind](value)) throw new InvalidOptionError(component, option, value, ALLOWED[kind]);
  return value as Kinds[K];
}
