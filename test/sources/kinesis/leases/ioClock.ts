/**
 * Virtual time for code that talks to real in-process servers (kinesalite, dynalite): the TestScheduler moves
 * to its next due action only once every request sent through a {@link IoClock.track}ed client has been
 * answered and every continuation has run. So timers (lease renewals, polls, buffers) run in virtual time,
 * while every request still goes to the real server, and the order of events is that of a system whose
 * requests take no time. No real time is waited on, however long the virtual time.
 */
import type { TestScheduler } from 'rxjs/testing';
import { settleMicrotasks } from '../virtualTime.js';

export class IoClock {
  #pending = 0;
  #whenIdle: Array<() => void> = [];

  constructor(readonly scheduler: TestScheduler) {
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
  }

  /** The virtual time now. */
  get nowMs(): number {
    return this.scheduler.now();
  }

  /** The client, with every `send` counted until it is answered. */
  track<C extends { send: (...args: never[]) => Promise<unknown> }>(client: C): C {
    const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    return new Proxy(client, {
      get: (target, key, receiver) => {
        if (key !== 'send') return Reflect.get(target, key, receiver);
        return (...args: unknown[]) => {
          this.#pending++;
          return send(...args).finally(() => {
            if (--this.#pending > 0) return;
            const waiters = this.#whenIdle;
            this.#whenIdle = [];
            for (const wake of waiters) wake();
          });
        };
      },
    });
  }

  /** Waits (in real time) until no request is in flight and no continuation is left to run. */
  async idle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await settleMicrotasks();
      if (this.#pending > 0) {
        quiet = 0;
        await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
      } else quiet++;
    }
  }

  /** Runs due actions, one at a time with the I/O they cause, up to virtual time `targetMs`. */
  async advanceTo(targetMs: number): Promise<void> {
    const scheduler = this.scheduler;
    for (;;) {
      await this.idle();
      const next = (scheduler.actions[0] as { delay: number } | undefined)?.delay;
      if (next === undefined || next > targetMs) break;
      scheduler.maxFrames = next;
      scheduler.flush();
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
    }
    scheduler.frame = Math.max(scheduler.frame, targetMs);
    await this.idle();
  }

  /** Advances by `ms` of virtual time. */
  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.nowMs + ms);
  }

  /** Advances in steps of `stepMs` until `condition` holds; fails naming `what` after `maxMs` of virtual time. */
  async advanceUntil(condition: () => boolean, what: string, maxMs: number, stepMs = 1_000): Promise<void> {
    const deadline = this.nowMs + maxMs;
    while (!condition()) {
      if (this.nowMs >= deadline) throw new Error(`${what}: not true after ${maxMs} ms of virtual time`);
      await this.advanceBy(stepMs);
    }
  }
}
