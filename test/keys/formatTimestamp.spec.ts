import { afterEach, describe, expect, it } from 'vitest';
import { compileTimestampPattern, formatTimestamp } from '../../src/keys/index.js';

// Thursday, day 56 of the leap year 2016.
const AT = Date.parse('2016-02-25T13:04:05.123Z');
const MIDNIGHT = Date.parse('2016-02-25T00:00:00.000Z');

describe('formatTimestamp', () => {
  describe('Firehose defaults', () => {
    it('should format the default prefix pattern yyyy/MM/dd/HH/ in UTC', () => {
      expect(formatTimestamp('yyyy/MM/dd/HH/', Date.parse('2016-02-25T13:00:00.123Z'))).toBe('2016/02/25/13/');
    });

    it("should format the object name's yyyy-MM-dd-HH-mm-ss", () => {
      expect(formatTimestamp('yyyy-MM-dd-HH-mm-ss', AT)).toBe('2016-02-25-13-04-05');
    });
  });

  describe('pattern letters', () => {
    it.each([
      ['y', '2016'],
      ['yy', '16'],
      ['yyy', '2016'],
      ['yyyy', '2016'],
      ['yyyyy', '02016'],
      ['u', '2016'],
      ['uuuu', '2016'],
      ['M', '2'],
      ['MM', '02'],
      ['MMM', 'Feb'],
      ['MMMM', 'February'],
      ['MMMMM', 'F'],
      ['d', '25'],
      ['dd', '25'],
      ['D', '56'],
      ['DDD', '056'],
      ['H', '13'],
      ['HH', '13'],
      ['k', '13'],
      ['h', '1'],
      ['hh', '01'],
      ['K', '1'],
      ['KK', '01'],
      ['m', '4'],
      ['mm', '04'],
      ['s', '5'],
      ['ss', '05'],
      ['S', '1'],
      ['SS', '12'],
      ['SSS', '123'],
      ['SSSS', '1230'],
      ['SSSSSSSSS', '123000000'],
      ['a', 'PM'],
      ['E', 'Thu'],
      ['EEE', 'Thu'],
      ['EEEE', 'Thursday'],
      ['EEEEE', 'T'],
    ])('should format %s as %s', (pattern, expected) => {
      expect(formatTimestamp(pattern, AT)).toBe(expected);
    });

    it('should format midnight hours as Java does: H 0, k 24, h 12, K 0, a AM', () => {
      expect(formatTimestamp('H k h K a', MIDNIGHT)).toBe('0 24 12 0 AM');
    });

    it('should pad short years and truncate yy to two digits', () => {
      const year7 = Date.parse('0007-03-04T05:06:07.008Z');
      expect(formatTimestamp('y yy yyyy', year7)).toBe('7 07 0007');
      expect(formatTimestamp('SSS', year7)).toBe('008');
    });

    it('should print the day of year 366 on the last day of a leap year', () => {
      expect(formatTimestamp('DDD', Date.parse('2016-12-31T12:00:00Z'))).toBe('366');
      expect(formatTimestamp('DDD', Date.parse('2017-12-31T12:00:00Z'))).toBe('365');
      expect(formatTimestamp('D', Date.parse('2017-01-01T00:00:00Z'))).toBe('1');
    });
  });

  describe('literals', () => {
    it('should print characters that are not letters as they are', () => {
      expect(formatTimestamp('yyyy/MM-dd_HH=.:0 9', AT)).toBe('2016/02-25_13=.:0 9');
    });

    it('should print quoted text literally, with two quotes standing for one', () => {
      expect(formatTimestamp("'year='yyyy'/month='MM", AT)).toBe('year=2016/month=02');
      expect(formatTimestamp("yyyy''MM", AT)).toBe("2016'02");
      expect(formatTimestamp("'it''s' HH", AT)).toBe("it's 13");
      expect(formatTimestamp("'dd MM yyyy'", AT)).toBe('dd MM yyyy');
    });
  });

  describe('UTC', () => {
    const tz = process.env['TZ'];
    afterEach(() => {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    });

    it('should not depend on the local time zone', () => {
      process.env['TZ'] = 'Asia/Tokyo';
      expect(formatTimestamp('yyyy/MM/dd/HH/', Date.parse('2016-12-31T23:30:00Z'))).toBe('2016/12/31/23/');
      process.env['TZ'] = 'America/Los_Angeles';
      expect(formatTimestamp('yyyy/MM/dd/HH/', Date.parse('2017-01-01T00:30:00Z'))).toBe('2017/01/01/00/');
    });

    it('should change year, month, day and hour together at midnight UTC on New Year', () => {
      const last = Date.parse('2016-12-31T23:59:59.999Z');
      expect(formatTimestamp('yyyy/MM/dd/HH/mm/ss.SSS DDD', last)).toBe('2016/12/31/23/59/59.999 366');
      expect(formatTimestamp('yyyy/MM/dd/HH/mm/ss.SSS DDD', last + 1)).toBe('2017/01/01/00/00/00.000 001');
    });

    it('should handle a leap day', () => {
      expect(formatTimestamp('yyyy-MM-dd DDD', Date.parse('2016-02-29T23:59:59Z'))).toBe('2016-02-29 060');
      expect(formatTimestamp('yyyy-MM-dd DDD', Date.parse('2016-03-01T00:00:00Z'))).toBe('2016-03-01 061');
    });

    it('should format instants before 1970', () => {
      expect(formatTimestamp('yyyy/MM/dd/HH/mm/ss.SSS', Date.parse('1969-12-31T23:59:59.999Z'))).toBe('1969/12/31/23/59/59.999');
    });
  });

  describe('refused patterns', () => {
    it.each([
      [
        'ww',
        'pattern letter "w" (week of week-based year) is not supported: its value depends on the JVM\'s locale, which Firehose does not document',
      ],
      [
        'YYYY',
        'pattern letter "Y" (week-based year) is not supported: its value depends on the JVM\'s locale, which Firehose does not document',
      ],
      [
        'W',
        'pattern letter "W" (week of month) is not supported: its value depends on the JVM\'s locale, which Firehose does not document',
      ],
      [
        'e',
        'pattern letter "e" (localized day of week) is not supported: its value depends on the JVM\'s locale, which Firehose does not document',
      ],
      ['XXX', 'pattern letter "X" (time zone) is not supported: key timestamps are in UTC'],
      ['Z', 'pattern letter "Z" (time zone) is not supported: key timestamps are in UTC'],
      ['DD', '"DD" is not supported: Java 8 and Java 9+ format it differently; use D or DDD'],
      ['DDDD', '4 "D" letters are too many (at most 3, as in Java)'],
      ['ddd', '3 "d" letters are too many (at most 2, as in Java)'],
      ['HHH', '3 "H" letters are too many (at most 2, as in Java)'],
      ['MMMMMM', '6 "M" letters are too many (at most 5, as in Java)'],
      ['aa', '2 "a" letters are too many (at most 1, as in Java)'],
      ['SSSSSSSSSS', '10 "S" letters are too many (at most 9, as in Java)'],
      ["yyyy'", "the quote at index 4 of the pattern is not closed (write text as 'text', a quote as '')"],
      ['[yyyy]', 'optional sections ("[" at index 0) are not supported'],
      ['yyyy#', `"#" (at index 4) is reserved by Java's DateTimeFormatter; quote it as '#'`],
      ['{', `"{" (at index 0) is reserved by Java's DateTimeFormatter; quote it as '{'`],
    ])('should refuse %s', (pattern, message) => {
      expect(() => compileTimestampPattern(pattern)).toThrow(new RangeError(message));
    });

    it('should refuse an unknown letter and list the supported ones', () => {
      expect(() => compileTimestampPattern('yyyy-QQ')).toThrow(
        /^pattern letter "Q" is not supported \(supported: y or u \(year\), M \(month\)/,
      );
    });

    it('should refuse instants outside years 1-9999 and non-numbers', () => {
      const p = compileTimestampPattern('yyyy');
      expect(p.format(Date.parse('9999-12-31T23:59:59.999Z'))).toBe('9999');
      expect(p.format(Date.parse('0001-01-01T00:00:00.000Z'))).toBe('0001');
      expect(() => p.format(Date.parse('9999-12-31T23:59:59.999Z') + 1)).toThrow(RangeError);
      expect(() => p.format(Date.parse('0001-01-01T00:00:00.000Z') - 1)).toThrow(RangeError);
      expect(() => p.format(Number.NaN)).toThrow(/arrival time must be a finite epoch-millisecond number/);
      expect(() => p.format(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    });
  });

  describe('compileTimestampPattern', () => {
    it('should report the shortest and longest output', () => {
      expect(compileTimestampPattern('yyyy/MM/dd/HH/')).toMatchObject({ minLength: 14, maxLength: 14 });
      expect(compileTimestampPattern('MMMM')).toMatchObject({ minLength: 3, maxLength: 9 });
      expect(compileTimestampPattern("'day='D")).toMatchObject({ minLength: 5, maxLength: 7 });
    });
  });
});
