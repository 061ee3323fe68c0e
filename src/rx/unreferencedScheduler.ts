import { asyncScheduler, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** One scheduled piece of work: a Node timer that does not hold the process, rescheduled in place. */
class UnreferencedAction<T> extends Subscription implements SchedulerAction<T> {
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly work: (this: SchedulerAction<T>, state?: T) => void) {
    super(() => clearTimeout(this.#timer));
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.work.call(this, state);
    }, delay);
    this.#timer.unref();
    return this;
  }
}

/**
 * A scheduler like rxjs's `asyncScheduler` whose timers never keep the process alive (Node's `unref`): for
 * housekeeping that must not delay a process's exit, such as stopping idle worker threads. Work scheduled on
 * it simply does not run if the process ends first. Tests inject a `TestScheduler` instead.
 *
 * It is a default to inject, like `asyncScheduler`, so it is the one place here that sets Node timers itself;
 * its clock is `asyncScheduler`'s.
 */
export const unreferencedScheduler: SchedulerLike = {
  now: () => asyncScheduler.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay = 0, state?: T): Subscription {
    return new UnreferencedAction<T>(work as (this: SchedulerAction<T>, state?: T) => void).schedule(state, delay);
  },
};
