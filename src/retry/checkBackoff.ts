import { checkNumber } from '../options/checkNumber.js';
import { checkObject } from '../options/checkObject.js';
import type { Backoff } from './backoffDelayMs.js';

/**
 * `defaults` with the user's overrides, each checked: delays ≥ 0 ms, a multiplier ≥ 1, a jitter fraction
 * in [0, 1] or `'full'`. Throws `InvalidOptionError` naming `backoff.<field>` at construction.
 */
export function checkBackoff(component: string, overrides: Partial<Backoff> | undefined, defaults: Backoff): Backoff {
  const b = {
    ...defaults,
    ...checkObject<Partial<Backoff>>(component, 'backoff', overrides, {}, 'an object with initialMs, multiplier, maxMs and jitter'),
  };
  return {
    initialMs: checkNumber(component, 'backoff.initialMs', b.initialMs, defaults.initialMs, { min: 0, unit: 'ms' }),
    multiplier: checkNumber(component, 'backoff.multiplier', b.multiplier, defaults.multiplier, { min: 1 }),
    maxMs: checkNumber(component, 'backoff.maxMs', b.maxMs, defaults.maxMs, { min: 0, unit: 'ms' }),
    jitter: b.jitter === 'full' ? 'full' : checkNumber(component, 'backoff.jitter', b.jitter, 0, { min: 0, max: 1 }),
  };
}
