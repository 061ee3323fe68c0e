import { map, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  fromLines,
  InvalidOptionError,
  SettlementStallError,
  settleRecord,
  type FirehoseRecord,
  type MetricUnit,
} from '../../src/index.js';
import { InFlightBudget } from '../../src/sources/InFlightBudget.js';
import { StallWatchdog } from '../../src/settlement/StallWatchdog.js';

// No silent stall: when a source's budget is full and nothing settles for stallTimeoutMs (virtual time),
// the pipeline says so through metrics and a warning naming the likely cause, or errors.
const STALL_MS = 60_000;
const f = (data: Uint8Array): Uint8Array => Uint8Array.from(data, (b) => (b >= 97 && b <= 122 ? b - 32 : b));

function newScheduler(maxFrames: number): TestScheduler {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  scheduler.maxFrames = maxFrames;
  return scheduler;
}

/** The scheduler, and a promise of the moment the stall timeout is first set (the source waits on its full budget). */
function watchArming(scheduler: TestScheduler): { scheduler: SchedulerLike; armed: Promise<void> } {
  let armed!: () => void;
  const promise = new Promise<void>((resolve) => (armed = resolve));
  return {
    scheduler: {
      now: () => scheduler.now(),
      schedule: ((work: never, delay?: number, state?: never) => {
        if (delay === STALL_MS) armed();
        return scheduler.schedule(work, delay, state);
      }) as SchedulerLike['schedule'],
    },
    armed: promise,
  };
}

async function* lines(n: number): AsyncIterable<string> {
  for (let i = 0; i < n; i++) yield `line ${String(i).padStart(3, '0')}\n`; // 9 bytes each
}

describe('stall watchdog', () => {
  it('should report a map that copies records through metrics and a warning naming it, stallTimeoutMs after reading stopped', async () => {
    const ts = newScheduler(2 * STALL_MS + 1);
    const { scheduler, armed } = watchArming(ts);
    const metrics: Array<[number, string, number, MetricUnit]> = [];
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void (w.name === 'SettlementStallWarning' && warnings.push(w.message));
    process.on('warning', onWarning);
    const sunk: FirehoseRecord[] = [];
    const subscription = fromLines(lines(100), {
      maxInFlightBytes: 36,
      scheduler,
      stallTimeoutMs: STALL_MS,
      metrics: (name, value, unit) => metrics.push([ts.now(), name, value, unit]),
    })
      .pipe(map((r) => ({ ...r, data: f(r.data) })))
      // A sink that settles what it stored: the copies, which carry no settlement.
      .subscribe((copy) => {
        sunk.push(copy);
        settleRecord(copy, 'delivered');
      });
    await armed;
    ts.schedule(() => expect(metrics).toEqual([]), STALL_MS - 1);
    ts.flush();
    await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
    process.off('warning', onWarning);
    subscription.unsubscribe();

    expect(sunk).toHaveLength(4); // 4 lines of 9 bytes fill the 36-byte budget; then reading stopped
    expect(metrics).toEqual([
      [STALL_MS, 'fromLines.SettlementStalls', 1, 'Count'],
      [STALL_MS, 'fromLines.StalledBytes', 36, 'Bytes'],
      [2 * STALL_MS, 'fromLines.SettlementStalls', 1, 'Count'],
      [2 * STALL_MS, 'fromLines.StalledBytes', 36, 'Bytes'],
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('none settled for 60000 ms');
    expect(warnings[0]).toContain('map(r => ({ ...r, data: f(r.data) }))');
    expect(warnings[1]).toContain('none settled for 120000 ms');
  });

  it("should error the source with SettlementStallError with onStall: 'error'", async () => {
    const ts = newScheduler(10 * STALL_MS);
    const { scheduler, armed } = watchArming(ts);
    let error: unknown;
    let erroredAtMs: number | undefined;
    fromLines(lines(100), { maxInFlightBytes: 36, scheduler, stallTimeoutMs: STALL_MS, onStall: 'error' })
      .pipe(map((r) => ({ ...r, data: f(r.data) })))
      .subscribe({
        next: (copy) => settleRecord(copy, 'delivered'),
        error: (err: unknown) => {
          error = err;
          erroredAtMs = ts.now();
        },
      });
    await armed;
    ts.flush();
    expect(error).toBeInstanceOf(SettlementStallError);
    expect(erroredAtMs).toBe(STALL_MS);
    expect(error).toMatchObject({ where: 'fromLines', heldBytes: 36, stalledMs: STALL_MS });
  });

  it('should start the timeout again when a record settles while the budget stays full, and stop it when there is room', () => {
    const ts = newScheduler(10 * STALL_MS);
    const stalls: number[] = [];
    const budget = new InFlightBudget(
      10,
      Number.POSITIVE_INFINITY,
      new StallWatchdog({
        name: 'test',
        stallTimeoutMs: STALL_MS,
        scheduler: ts,
        metrics: (name) => name.endsWith('Stalls') && stalls.push(ts.now()),
      }),
    );
    budget.take(5);
    budget.take(20); // 25 of 10: full
    void budget.whenAvailable(); // waits from 0
    ts.schedule(() => budget.release(5), 40_000); // 20: still full, but something settled
    ts.schedule(() => budget.release(20), 150_000); // room: the wait is over
    ts.flush();
    // 40 000 + 60 000: the report; the next would be at 160 000, but the wait ended at 150 000.
    expect(stalls).toEqual([100_000]);
  });

  it('should throw InvalidOptionError for stallTimeoutMs and onStall out of range', () => {
    expect(() => fromLines(lines(1), { stallTimeoutMs: 0 })).toThrow(InvalidOptionError);
    expect(() => fromLines(lines(1), { onStall: 'ignore' as never })).toThrow("fromLines: onStall must be 'warn' or 'error'");
  });
});
