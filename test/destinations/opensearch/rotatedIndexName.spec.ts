import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { documentTargetOf } from '../../../src/destinations/opensearch/buildBulkRequest.js';
import type { IndexRotationPeriod } from '../../../src/destinations/opensearch/options.js';
import { rotatedIndexName } from '../../../src/destinations/opensearch/rotatedIndexName.js';
import { toRecords } from '../../../src/index.js';

const at = (iso: string): number => Date.parse(iso);

describe('rotatedIndexName', () => {
  it('should append Firehose’s suffix for each period (AWS’s example instant, 2016-02-25T13:00Z)', () => {
    const t = at('2016-02-25T13:00:00Z');
    expect(rotatedIndexName('myindex', 'NoRotation', t)).toBe('myindex');
    expect(rotatedIndexName('myindex', 'OneHour', t)).toBe('myindex-2016-02-25-13');
    expect(rotatedIndexName('myindex', 'OneDay', t)).toBe('myindex-2016-02-25');
    expect(rotatedIndexName('myindex', 'OneMonth', t)).toBe('myindex-2016-02');
    // Firehose's stated week rule (weeks start on Sunday; week 1 holds the year's first Saturday): the week of
    // Sunday 2016-02-21 is the ninth. (AWS's example table prints w08, the ISO week number.)
    expect(rotatedIndexName('myindex', 'OneWeek', t)).toBe('myindex-2016-w09');
  });

  it('should number weeks from Sunday to Saturday, the year being that of the week’s Saturday', () => {
    const cases: Array<[string, string]> = [
      // Jan 1 on a Friday: the week of Sunday Dec 27 is week 1 of the new year (ISO: 2015-W53).
      ['2015-12-26T23:59:59.999Z', '2015-w52'], // Saturday
      ['2015-12-27T00:00:00.000Z', '2016-w01'], // Sunday
      ['2016-01-01T00:00:00.000Z', '2016-w01'],
      ['2016-01-02T23:59:59.999Z', '2016-w01'], // Saturday
      ['2016-01-03T00:00:00.000Z', '2016-w02'], // Sunday
      // A 53-week year: 2016 (leap, Jan 1 a Friday) ends on a Saturday.
      ['2016-12-31T23:59:59.999Z', '2016-w53'],
      ['2017-01-01T00:00:00.000Z', '2017-w01'], // Jan 1 on a Sunday
      // Jan 1 on a Saturday: that one day makes week 1, and the days before it belong to it (ISO: 2021-W52).
      ['2021-12-25T12:00:00.000Z', '2021-w52'],
      ['2021-12-26T00:00:00.000Z', '2022-w01'],
      ['2022-01-01T23:59:59.999Z', '2022-w01'],
      ['2022-01-02T00:00:00.000Z', '2022-w02'],
      // ISO puts these in the old year's week 53; Firehose's rule in the new year's week 1.
      ['2020-12-31T08:00:00.000Z', '2021-w01'],
      ['2021-01-03T00:00:00.000Z', '2021-w02'],
      // ISO puts these in the old year's week 52.
      ['2018-12-30T00:00:00.000Z', '2019-w01'],
      ['2019-12-29T00:00:00.000Z', '2020-w01'],
      // AWS's other example, 2020-w33: the week of Sunday 2020-08-09.
      ['2020-08-09T00:00:00.000Z', '2020-w33'],
      ['2020-08-15T23:59:59.999Z', '2020-w33'],
      // The last week there is: 9999-12-31 is a Friday.
      ['9999-12-31T23:59:59.999Z', '9999-w53'],
    ];
    for (const [iso, suffix] of cases) expect([iso, rotatedIndexName('i', 'OneWeek', at(iso))]).toEqual([iso, `i-${suffix}`]);
  });

  it('should agree with a day-by-day count over 30 years: week numbers step by one each Sunday, and restart at the Sunday on or before January 1', () => {
    let previous = rotatedIndexName('i', 'OneWeek', at('1999-12-31T00:00:00Z'));
    for (let t = at('2000-01-01T00:00:00Z'); t < at('2030-01-01T00:00:00Z'); t += 86_400_000) {
      const d = new Date(t);
      const name = rotatedIndexName('i', 'OneWeek', t);
      if (d.getUTCDay() !== 0) {
        expect(name).toBe(previous);
      } else {
        // A new week: week 1 of the next year if its Saturday is in January, else the next number.
        const saturday = new Date(t + 6 * 86_400_000);
        const [, year, week] = /^i-(\d{4})-w(\d{2})$/.exec(previous)!;
        const expected =
          saturday.getUTCMonth() === 0 && saturday.getUTCDate() <= 7
            ? `i-${saturday.getUTCFullYear()}-w01`
            : `i-${year}-w${String(Number(week) + 1).padStart(2, '0')}`;
        expect([d.toISOString(), name]).toEqual([d.toISOString(), expected]);
      }
      previous = name;
    }
  });

  it('should refuse an arrival time outside years 1–9999', () => {
    expect(() => rotatedIndexName('i', 'OneDay', Number.NaN)).toThrow(RangeError);
    expect(() => rotatedIndexName('i', 'OneHour', 253_402_300_800_000)).toThrow(RangeError);
  });
});

describe('index rotation in virtual time', () => {
  // Virtual time starts at the epoch: 1970-01-01T00:00Z, a Thursday.
  const indexOf = (period: IndexRotationPeriod) =>
    map(
      (r: { data: Uint8Array; approximateArrivalTimestamp: number }) =>
        documentTargetOf(
          { indexName: 'logs', indexRotationPeriod: period, typeName: undefined, documentIdFormat: 'NO_DOCUMENT_ID' },
          r,
          r.data,
          -1,
        ).indexName,
    );

  const run = (period: IndexRotationPeriod, marbles: string, expected: string, values: Record<string, string>): void => {
    const scheduler = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted));
    scheduler.run(({ cold, expectObservable }) => {
      const records = cold(marbles, { a: '{}', b: '{}', c: '{}' }).pipe(toRecords({ scheduler }), indexOf(period));
      expectObservable(records).toBe(expected, values);
    });
  };

  it('should change the hourly index at the hour', () => {
    run('OneHour', 'a 59m 59s 998ms b c', 'a 59m 59s 998ms b c', {
      a: 'logs-1970-01-01-00',
      b: 'logs-1970-01-01-00',
      c: 'logs-1970-01-01-01',
    });
  });

  it('should change the daily index at midnight UTC', () => {
    run('OneDay', '1439m 59s 999ms a b', '1439m 59s 999ms a b', { a: 'logs-1970-01-01', b: 'logs-1970-01-02' });
  });

  it('should change the weekly index on Sunday 00:00 UTC', () => {
    // 1970-01-03T23:59:59.999 is the Saturday ending week 1; the Sunday after starts week 2.
    run('OneWeek', 'a 4319m 59s 998ms b c', 'a 4319m 59s 998ms b c', { a: 'logs-1970-w01', b: 'logs-1970-w01', c: 'logs-1970-w02' });
  });

  it('should change the monthly index on the first of the month', () => {
    // January has 31 days: 44,640 minutes.
    run('OneMonth', '44639m 59s 999ms a b', '44639m 59s 999ms a b', { a: 'logs-1970-01', b: 'logs-1970-02' });
  });

  it('should never change the index without rotation', () => {
    run('NoRotation', 'a 44639m 59s 999ms b', 'a 44639m 59s 999ms b', { a: 'logs', b: 'logs' });
  });
});
