/** The calendar fields of one instant in UTC, computed once so every timestamp in a key shares them. */
export interface UtcFields {
  /** Year, 1–9999. */
  readonly year: number;
  /** Month of year, 1–12. */
  readonly month: number;
  /** Day of month, 1–31. */
  readonly day: number;
  /** Day of year, 1–366. */
  readonly dayOfYear: number;
  /** ISO day of week, 1 (Monday) to 7 (Sunday), as `java.time.DayOfWeek`. */
  readonly dayOfWeek: number;
  /** Hour of day, 0–23. */
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** 0001-01-01T00:00:00.000Z, the earliest instant a key timestamp may have. */
export const MIN_KEY_EPOCH_MS = -62_135_596_800_000;
/** 9999-12-31T23:59:59.999Z, the latest instant a key timestamp may have (four-digit years only). */
export const MAX_KEY_EPOCH_MS = 253_402_300_799_999;

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

/**
 * Splits an epoch-millisecond instant into its UTC calendar fields.
 *
 * Throws a `RangeError` for a non-number, `NaN`, an infinity, or an instant outside years 1–9999 (where
 * Java's `yyyy` would need a sign or a fifth digit, and where keys stop sorting by time).
 */
export function utcFieldsOf(epochMs: number): UtcFields {
  const inRange = Number.isFinite(epochMs) && epochMs >= MIN_KEY_EPOCH_MS && epochMs <= MAX_KEY_EPOCH_MS;
  if (typeof epochMs !== 'number' || !inRange) {
    throw new RangeError(
      `arrival time must be a finite epoch-millisecond number between ${MIN_KEY_EPOCH_MS} (0001-01-01T00:00:00Z) ` +
        `and ${MAX_KEY_EPOCH_MS} (9999-12-31T23:59:59.999Z); got ${String(epochMs)}`,
    );
  }
  const d = new Date(Math.floor(epochMs));
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dayOfYear = (DAYS_BEFORE_MONTH[month - 1] ?? 0) + (leap && month > 2 ? 1 : 0) + day;
  const jsDay = d.getUTCDay(); // 0 = Sunday
  return {
    year,
    month,
    day,
    dayOfYear,
    dayOfWeek: jsDay === 0 ? 7 : jsDay,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}
