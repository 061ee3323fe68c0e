import { VirtualTimeScheduler, from, isObservable, lastValueFrom, type ObservableInput } from 'rxjs';
import type { BuildContext, DeliveryAttempt, DeliveryRequest, Destination, ErrorOutput, FailureRecord } from '../../../src/index.js';

/**
 * Virtual time for pipelines that talk to real servers: a `VirtualTimeScheduler` whose clock moves only
 * when nothing is in flight on the wire. Wrap the destinations with {@link IdleVirtualTime.track}; each time
 * the last send (or build) in flight ends, the clock jumps to the earliest pending action (a backoff wait)
 * and runs it. So a retry duration of an hour passes at once, and `now()` says exactly when each attempt
 * started, while timers that guard requests in flight (S3's request timeout) never fire early.
 */
export class IdleVirtualTime {
  readonly scheduler = new VirtualTimeScheduler();
  private inFlight = 0;
  /** Virtual start time of every send through a tracked destination, by destination name. */
  readonly sends: Array<{ name: string; atMs: number }> = [];

  /**
   * `waitingFromStage`: stages from this depth on (0 is the first) wait on the clock inside their sends
   * (polling a statement): their sends are recorded but not counted as in flight, and the network calls
   * they make must be wrapped with {@link IdleVirtualTime.count}.
   */
  track<D extends Destination<any>>(destination: D, options: { waitingFromStage?: number } = {}, depth = 0): D {
    const enter = this.enter;
    const waits = options.waitingFromStage !== undefined && depth >= options.waitingFromStage;
    const tracked = {
      ...destination,
      build: (batch: readonly unknown[], context: Parameters<D['build']>[1]) =>
        enter(Promise.resolve().then(() => settled(destination.build(batch, context)))),
      send: (request: unknown, attempt: Parameters<D['send']>[1]) => {
        this.sends.push({ name: destination.name, atMs: this.scheduler.now() });
        const sent = Promise.resolve().then(() => settled(destination.send(request, attempt)));
        return waits ? sent : enter(sent);
      },
      ...(destination.nextStage === undefined ? {} : { nextStage: this.track(destination.nextStage, options, depth + 1) }),
      ...(destination.errorOutput === undefined ? {} : { errorOutput: this.trackErrorOutput(destination.errorOutput) }),
    };
    return tracked as unknown as D;
  }

  trackErrorOutput<E extends ErrorOutput>(errorOutput: E): E {
    return {
      ...errorOutput,
      buildFailures: (failures: readonly FailureRecord[], errorOutputType: string, context: BuildContext) =>
        this.enter(Promise.resolve().then(() => settled(errorOutput.buildFailures(failures, errorOutputType, context)))),
      send: (request: DeliveryRequest, attempt: DeliveryAttempt) =>
        this.enter(Promise.resolve().then(() => settled(errorOutput.send(request, attempt)))),
    } as E;
  }

  /** Counts `input` as in flight until it settles: wrap the network calls of a stage that waits on the clock. */
  count<T>(input: ObservableInput<T>): Promise<T> {
    return this.enter(input);
  }

  private readonly enter = <T>(input: ObservableInput<T>): Promise<T> => {
    this.inFlight++;
    return new Promise<T>((resolve, reject) => {
      let last: T;
      from(input).subscribe({ next: (v) => (last = v), error: reject, complete: () => resolve(last) });
    }).finally(() => {
      if (--this.inFlight === 0) setImmediate(() => this.advance());
    });
  };

  private advance(): void {
    const next = this.scheduler.actions[0];
    if (this.inFlight > 0 || next === undefined) return;
    this.scheduler.maxFrames = next.delay;
    this.scheduler.flush();
    if (this.inFlight === 0 && this.scheduler.actions.length > 0) setImmediate(() => this.advance());
  }
}

/** What a build, send or write gave, as a Promise of its (last) value. */
function settled(value: unknown): unknown {
  return isObservable(value) ? lastValueFrom(value) : value;
}
