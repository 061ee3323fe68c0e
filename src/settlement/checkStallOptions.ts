import type { SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import { checkKind } from '../options/checkKind.js';
import { checkNumber } from '../options/checkNumber.js';
import type { SettlementStallError } from './SettlementStallError.js';
import { DEFAULT_STALL_TIMEOUT_MS, StallWatchdog, type StallOptions } from './StallWatchdog.js';

/**
 * Checks a source's {@link StallOptions} at construction (throwing {@link InvalidOptionError}) and returns
 * how to make the watchdog of one subscription, which errors that subscription with `onStall: 'error'` (and
 * names `where` in its messages, `component` by default).
 */
export function checkStallOptions(
  component: string,
  options: StallOptions,
  scheduler: SchedulerLike,
): (onError: (error: SettlementStallError) => void, where?: string) => StallWatchdog {
  const stallTimeoutMs = checkNumber(component, 'stallTimeoutMs', options.stallTimeoutMs, DEFAULT_STALL_TIMEOUT_MS, {
    min: 1,
    max: 86_400_000,
    unit: 'ms',
  });
  const onStall = options.onStall ?? 'warn';
  if (onStall !== 'warn' && onStall !== 'error') throw new InvalidOptionError(component, 'onStall', onStall, "'warn' or 'error'");
  const metrics = checkKind(component, 'metrics', options.metrics, 'function', undefined) as MetricSink | undefined;
  return (onError, where) => new StallWatchdog({ name: component, where, stallTimeoutMs, onStall, metrics, scheduler, onError });
}
