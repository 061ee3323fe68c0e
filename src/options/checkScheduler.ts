import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/**
 * Returns `value`, or `asyncScheduler` when it is `undefined`; throws {@link InvalidOptionError} naming the
 * component and the value when it is not a `SchedulerLike` (an object with `now` and `schedule` functions).
 */
export function checkScheduler(component: string, value: unknown): SchedulerLike {
  if (value === undefined) return asyncScheduler;
  const s = value as { now?: unknown; schedule?: unknown } | null;
  if (typeof s !== 'object' || s === null || typeof s.now !== 'function' || typeof s.schedule !== 'function') {
    throw new InvalidOptionError(
      component,
      'scheduler',
      value,
      'a SchedulerLike (an object with now and schedule, e.g. asyncScheduler or a TestScheduler)',
    );
  }
  return value as SchedulerLike;
}
