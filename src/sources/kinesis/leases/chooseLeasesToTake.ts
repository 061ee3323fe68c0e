import type { Lease } from './Lease.js';

/** What a worker knows when it balances: the leases that may be read now, and which of them look expired. */
export interface BalanceView {
  readonly workerId: string;
  /** Leases that may be read now: not finished (`SHARD_END`) and with every parent finished. */
  readonly available: readonly Lease[];
  /** Whether a lease held by another worker has expired (its counter stood still for the lease duration). */
  readonly expired: (lease: Lease) => boolean;
  /** Whether this worker holds the lease now (a lease in its name that it does not hold was left by an earlier run: free). */
  readonly held: (lease: Lease) => boolean;
  readonly maxLeasesPerWorker: number;
  /** Random numbers in [0, 1), to pick among equals (so workers do not all go for the same lease). */
  readonly random: () => number;
}

/** Leases to take, and whether they are stolen from a live worker (who must first learn of the loss). */
export interface TakePlan {
  readonly take: readonly Lease[];
  readonly steal: boolean;
}

/**
 * The KCL's lease taker, as one decision: which leases this worker takes now.
 *
 * 1. Workers are the owners of unexpired leases, plus this one. The fair share (target) is the number of
 *    available leases divided by the number of workers, rounded up, and at most `maxLeasesPerWorker`.
 * 2. A worker at or above its target takes nothing.
 * 3. Below it, it takes free and expired leases (its own included, left by an earlier run of the same id)
 *    up to the target, all at once.
 * 4. When there are none, it steals ONE lease from the most loaded worker, if that worker holds more than
 *    the target (or as many, when this worker needs more than one): one at a time, so that the workers
 *    converge without fighting over leases.
 *
 * ```
 * 12 leases, workers A:12        → B joins: target 6; no free lease; B steals 1 from A per balance round
 * 12 leases, A:4 B:4 C:4, C dies → C's 4 expire; target 6; A and B take free ones up to 6 each
 * ```
 */
export function chooseLeasesToTake(view: BalanceView): TakePlan {
  const { workerId, available } = view;
  const byOwner = new Map<string, Lease[]>([[workerId, []]]);
  const free: Lease[] = [];
  for (const lease of available) {
    if (view.held(lease)) {
      byOwner.get(workerId)!.push(lease);
      continue;
    }
    if (lease.owner === undefined || lease.owner === workerId || view.expired(lease)) {
      free.push(lease);
      continue;
    }
    const owned = byOwner.get(lease.owner);
    if (owned === undefined) byOwner.set(lease.owner, [lease]);
    else owned.push(lease);
  }
  const target = Math.min(view.maxLeasesPerWorker, Math.ceil(available.length / byOwner.size));
  const mine = byOwner.get(workerId)!.length;
  const needed = target - mine;
  if (needed <= 0) return { take: [], steal: false };
  if (free.length > 0) return { take: shuffle(free, view.random).slice(0, needed), steal: false };
  let mostLoaded: Lease[] = [];
  for (const [owner, leases] of byOwner) if (owner !== workerId && leases.length > mostLoaded.length) mostLoaded = leases;
  if (mostLoaded.length > target || (needed > 1 && mostLoaded.length >= target)) {
    return { take: [mostLoaded[Math.floor(view.random() * mostLoaded.length)]!], steal: true };
  }
  return { take: [], steal: false };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
