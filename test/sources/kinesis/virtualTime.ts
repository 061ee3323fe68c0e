/**
 * Virtual time for code that mixes scheduler timers with promises (the Kinesis client answers with
 * promises): the TestScheduler is advanced one due action at a time, and between actions every pending
 * promise continuation runs (one macrotask turn drains the microtask queue), so a continuation that
 * schedules a timer is seen before the clock moves on. Deterministic as long as nothing waits on real I/O
 * (use the in-memory checkpoint store and the fake Kinesis client).
 */
import { TestScheduler } from 'rxjs/testing';

export function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
  });
}

/** Lets every pending promise continuation run. */
export function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances virtual time to `targetMs`, running each due action and the promise continuations it causes. */
export async function advanceTo(scheduler: TestScheduler, targetMs: number): Promise<void> {
  for (;;) {
    await settleMicrotasks();
    const next = (scheduler.actions[0] as { delay: number } | undefined)?.delay;
    if (next === undefined || next > targetMs) break;
    scheduler.maxFrames = next;
    scheduler.flush();
  }
  scheduler.frame = Math.max(scheduler.frame, targetMs);
  await settleMicrotasks();
}

/**
 * The marble diagram of events at virtual times, one character per `frameMs` (an event's letter in its
 * frame, `-` elsewhere), up to `untilMs`: `marbles([0, 1000, 2000], 250, 2250, 'G')` is `'G---G---G-'`.
 */
export function marbles(timesMs: readonly number[], frameMs: number, untilMs: number, letter = 'x'): string {
  const frames = Array.from({ length: Math.floor(untilMs / frameMs) + 1 }, () => '-');
  for (const t of timesMs) {
    if (t % frameMs !== 0) throw new Error(`event at ${t} ms is not on a ${frameMs} ms frame`);
    const i = t / frameMs;
    if (i < frames.length) frames[i] = frames[i] === '-' ? letter : '#'; // '#': two events in one frame
  }
  return frames.join('');
}
