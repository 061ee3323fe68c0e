import { describe, expect, it } from 'vitest';
import { map, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { deliverTo } from '../../operators/index.js';
import { InvalidOptionError, type DeliveryRequest, type Destination } from '../../src/index.js';

/** A destination whose sends take 10 ms of the scheduler's time, with `concurrency` as given. */
function slowDestination(scheduler: TestScheduler, concurrency: number | undefined): Destination {
  return {
    name: 'Slow',
    ...(concurrency === undefined ? {} : { concurrency }),
    build: (batch, { batchId }) => ({ request: { ids: [batchId], items: batch.map((_r, i) => i), bytes: 1 } as DeliveryRequest }),
    send: () => timer(10, scheduler).pipe(map(() => ({ status: 'accepted' as const }))),
  };
}

describe('deliverTo concurrency default', () => {
  it("should send as many batches at once as the destination's concurrency says when the option is not given", () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      const batches = cold('(abcd)|', { a: ['a'], b: ['b'], c: ['c'], d: ['d'] });
      const finished = (destination: Destination, options = {}) =>
        batches.pipe(
          deliverTo(destination, { scheduler, ...options }),
          map((r) => r.records[0]),
        );
      expectObservable(finished(slowDestination(scheduler, 3))).toBe('10ms (abc) 5ms (d|)', { a: 'a', b: 'b', c: 'c', d: 'd' });
      expectObservable(finished(slowDestination(scheduler, undefined))).toBe('10ms a 9ms b 9ms c 9ms (d|)', {
        a: 'a',
        b: 'b',
        c: 'c',
        d: 'd',
      });
      // The option wins over the destination's default.
      expectObservable(finished(slowDestination(scheduler, 3), { concurrency: 1 })).toBe('10ms a 9ms b 9ms c 9ms (d|)', {
        a: 'a',
        b: 'b',
        c: 'c',
        d: 'd',
      });
    });
  });

  it('should refuse a destination concurrency that is not an integer from 1 to 1024', () => {
    const scheduler = new TestScheduler(() => undefined);
    for (const bad of [0, 1.5, 2000, Number.NaN]) {
      expect(() => deliverTo(slowDestination(scheduler, bad))).toThrow(InvalidOptionError);
      expect(() => deliverTo(slowDestination(scheduler, bad))).toThrow(/destination\.concurrency/);
    }
  });
});
