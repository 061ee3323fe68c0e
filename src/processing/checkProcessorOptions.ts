import type { SchedulerLike } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import { checkErrorOutput } from '../delivery/checkErrorOutput.js';
import { checkObject } from '../options/checkObject.js';
import { checkScheduler } from '../options/checkScheduler.js';

/** The options every record processor takes. */
export interface ProcessorOptions {
  /** Where failure records go. Without one, a record that fails errors the stream with `UndeliverableRecordsError`. */
  readonly errorOutput?: ErrorOutput | undefined;
  /** The clock of failure records, and where writes to the error output wait between retries. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

/** Checks `options` (an object, or undefined) and its `errorOutput` and `scheduler`, naming `component`. */
export function checkProcessorOptions<O extends ProcessorOptions>(
  component: string,
  options: O | undefined,
): { options: O; errorOutput: ErrorOutput | undefined; scheduler: SchedulerLike } {
  const checked = checkObject<O>(component, 'options', options, {} as O);
  const errorOutput = checkErrorOutput(component, 'errorOutput', checked.errorOutput);
  return { options: checked, errorOutput, scheduler: checkScheduler(component, checked.scheduler) };
}
