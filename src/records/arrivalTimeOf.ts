/** The earliest and latest instants a Firehose key can show (years 1 to 9999, UTC). */
const EARLIEST_MS = -62_135_596_800_000;
const LATEST_MS = 253_402_300_799_999;

/**
 * A record's `approximateArrivalTimestamp`, or `fallback` for values without one, or with one that is not a
 * usable instant (not finite, or outside years 1–9999: a producer stamping microseconds, say), so that key
 * layouts never fail on it.
 */
export function arrivalTimeOf(value: unknown, fallback: number): number {
  if (typeof value === 'object' && value !== null) {
    const t = (value as { approximateArrivalTimestamp?: unknown }).approximateArrivalTimestamp;
    if (typeof t === 'number' && t >= EARLIEST_MS && t <= LATEST_MS) return t;
  }
  return fallback;
}
