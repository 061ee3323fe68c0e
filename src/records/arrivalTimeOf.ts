/** A record's `approximateArrivalTimestamp`, or `fallback` for values without one. */
export function arrivalTimeOf(value: unknown, fallback: number): number {
  if (typeof value === 'object' && value !== null) {
    const t = (value as { approximateArrivalTimestamp?: unknown }).approximateArrivalTimestamp;
    if (typeof t === 'number') return t;
  }
  return fallback;
}
