import { timer, type SchedulerLike } from 'rxjs';

/**
 * Resolves after `ms` on `scheduler` (so waits run in virtual time under a TestScheduler), or at once when
 * `signal` is aborted: a stopped source must not wait out a poll interval or a backoff.
 */
export function sleep(ms: number, scheduler: SchedulerLike, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      subscription.unsubscribe();
      resolve();
    };
    const subscription = timer(ms, scheduler).subscribe(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
