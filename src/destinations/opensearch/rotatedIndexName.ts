import { utcFieldsOf } from '../../keys/utcFieldsOf.js';
import type { IndexRotationPeriod } from './options.js';

const DAY_MS = 86_400_000;
const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * The index a record goes to: `indexName` with Firehose's rotation suffix for the record's arrival time,
 * in UTC.
 *
 * | period | suffix | at 2016-02-25T13:00Z |
 * |---|---|---|
 * | `NoRotation` | none | `myindex` |
 * | `OneHour` | `-yyyy-MM-dd-HH` | `myindex-2016-02-25-13` |
 * | `OneDay` | `-yyyy-MM-dd` | `myindex-2016-02-25` |
 * | `OneWeek` | `-<year>-w<week>` | `myindex-2016-w09` |
 * | `OneMonth` | `-yyyy-MM` | `myindex-2016-02` |
 *
 * Weeks follow the rule Firehose documents for `OneWeek` (US conventions): a week starts on Sunday, and the
 * first week of a year is the first week that contains a Saturday of that year. So a week belongs to the
 * year its Saturday falls in: 2015-12-27 (a Sunday) to 2016-01-02 is `2016-w01`, and weeks run from `w01`
 * to at most `w53`. This is Java's `YYYY-'w'ww` in `Locale.US`; it differs from ISO 8601 weeks (which start
 * on Monday and need four days in the new year), so `2016-02-25` is `w09` here and week 8 in ISO.
 *
 * ## Example
 * ```ts
 * import { rotatedIndexName } from 'rx-firehose';
 * rotatedIndexName('myindex', 'OneDay', Date.parse('2016-02-25T13:00:00Z'));  // 'myindex-2016-02-25'
 * rotatedIndexName('myindex', 'OneWeek', Date.parse('2016-01-01T00:00:00Z')); // 'myindex-2016-w01'
 * ```
 *
 * @param indexName The configured index name.
 * @param period The rotation period.
 * @param arrivalMs The record's arrival time, in epoch milliseconds (years 1–9999; outside throws a `RangeError`).
 * @returns The index name to send the record to.
 */
export function rotatedIndexName(indexName: string, period: IndexRotationPeriod, arrivalMs: number): string {
  if (period === 'NoRotation') return indexName;
  const t = utcFieldsOf(arrivalMs);
  const year = String(t.year).padStart(4, '0');
  switch (period) {
    case 'OneHour':
      return `${indexName}-${year}-${pad2(t.month)}-${pad2(t.day)}-${pad2(t.hour)}`;
    case 'OneDay':
      return `${indexName}-${year}-${pad2(t.month)}-${pad2(t.day)}`;
    case 'OneMonth':
      return `${indexName}-${year}-${pad2(t.month)}`;
    case 'OneWeek': {
      // The Saturday that ends this (Sunday-to-Saturday) week decides its year and number.
      const daysToSaturday = 6 - (t.dayOfWeek % 7); // dayOfWeek: 1 Monday … 7 Sunday; Sunday → 6, Saturday → 0
      const saturday = utcFieldsOf(Math.min(Math.floor(arrivalMs) + daysToSaturday * DAY_MS, MAX_SATURDAY_MS));
      const week = Math.floor((saturday.dayOfYear - 1) / 7) + 1;
      return `${indexName}-${String(saturday.year).padStart(4, '0')}-w${pad2(week)}`;
    }
  }
}

/**
 * The last instant `utcFieldsOf` accepts: a week that starts in the last days of 9999 ends in 10000, which
 * keys cannot show; it is counted as week 53 of 9999 instead (9999-12-31 is a Friday).
 */
const MAX_SATURDAY_MS = 253_402_300_799_999;
