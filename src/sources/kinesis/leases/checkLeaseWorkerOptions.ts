import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { InvalidOptionError } from '../../../errors/InvalidOptionError.js';
import { checkNumber } from '../../../options/checkNumber.js';
import { NAME, type DynamoDbLeasesOptions } from './options.js';

/** The KCL's `failoverTimeMillis`: a lease whose counter did not move for this long is expired. */
export const DEFAULT_LEASE_DURATION_MS = 10_000;
/** The KCL's `epsilonMillis`, which it subtracts from a third of the failover time to get its renewal interval. */
const EPSILON_MS = 25;

/** The options of one worker's part in the leases (not of the table): what the CLI's lease flags set. */
export type LeaseWorkerOptions = Pick<
  DynamoDbLeasesOptions,
  'workerId' | 'leaseDurationMs' | 'renewalIntervalMs' | 'balanceIntervalMs' | 'maxLeasesPerWorker'
>;

/** The names of {@link LeaseWorkerOptions}, in the order the CLI's help lists them. */
export const LEASE_WORKER_OPTIONS = [
  'workerId',
  'leaseDurationMs',
  'renewalIntervalMs',
  'balanceIntervalMs',
  'maxLeasesPerWorker',
] as const satisfies ReadonlyArray<keyof LeaseWorkerOptions>;

/**
 * Checks a worker's lease options and fills in the KCL's defaults; throws {@link InvalidOptionError} naming
 * the option, the value and what is allowed. `dynamoDbLeases` checks its options with it, and the CLI its
 * lease flags, so both accept exactly the same values.
 */
export function checkLeaseWorkerOptions(
  options: LeaseWorkerOptions,
): Required<{ [K in keyof LeaseWorkerOptions]: NonNullable<LeaseWorkerOptions[K]> }> {
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  if (typeof workerId !== 'string' || workerId === '' || workerId.length > 1024) {
    throw new InvalidOptionError(NAME, 'workerId', workerId, 'a non-empty string of at most 1024 characters, unique per worker');
  }
  const leaseDurationMs = checkNumber(NAME, 'leaseDurationMs', options.leaseDurationMs, DEFAULT_LEASE_DURATION_MS, {
    min: 1_000,
    max: 3_600_000,
    integer: true,
    unit: 'ms',
  });
  const renewalIntervalMs = checkNumber(
    NAME,
    'renewalIntervalMs',
    options.renewalIntervalMs,
    Math.floor(leaseDurationMs / 3) - EPSILON_MS,
    // A lease must be renewed several times within its duration, or one slow call would let it expire.
    { min: 100, max: Math.floor(leaseDurationMs / 3), integer: true, unit: `ms, a third of leaseDurationMs ${leaseDurationMs} at most` },
  );
  const balanceIntervalMs = checkNumber(NAME, 'balanceIntervalMs', options.balanceIntervalMs, (leaseDurationMs + EPSILON_MS) * 2, {
    min: 100,
    max: 3_600_000,
    integer: true,
    unit: 'ms',
  });
  const maxLeasesPerWorker = options.maxLeasesPerWorker ?? Number.MAX_SAFE_INTEGER;
  checkNumber(NAME, 'maxLeasesPerWorker', maxLeasesPerWorker, 0, { min: 1, integer: true, unit: 'leases' });
  return { workerId, leaseDurationMs, renewalIntervalMs, balanceIntervalMs, maxLeasesPerWorker };
}
