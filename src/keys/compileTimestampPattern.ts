import { utcFieldsOf, type UtcFields } from './utcFieldsOf.js';

/** A checked Java `DateTimeFormatter` pattern, ready to format instants in UTC. */
export interface TimestampPattern {
  /** The pattern as given. */
  readonly pattern: string;
  /** Formats an epoch-millisecond instant in UTC. Throws a `RangeError` outside years 1–9999. */
  format(epochMs: number): string;
  /** Formats already split UTC fields: how one key formats several patterns at the same instant. */
  formatFields(fields: UtcFields): string;
  /** Shortest output over every instant in years 1–9999. */
  readonly minLength: number;
  /** Longest output over every instant in years 1–9999. */
  readonly maxLength: number;
}

/** The pattern letters {@link compileTimestampPattern} understands, in words, for error messages. */
export const SUPPORTED_PATTERN_LETTERS =
  'y or u (year), M (month), d (day of month), D or DDD (day of year), H, h, k, K (hour), m (minute), ' +
  's (second), S… (fraction of second), a (AM/PM), E (day of week), and text in single quotes';

/** Month names in English, January first: as Java's `DateTimeFormatter` prints them. */
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

interface Token {
  readonly render: (f: UtcFields) => string;
  readonly min: number;
  readonly max: number;
}

/** Letters whose meaning depends on the JVM's locale (first day of week, minimal days in first week). */
const LOCALE_DEPENDENT: Readonly<Record<string, string>> = {
  Y: 'week-based year',
  w: 'week of week-based year',
  W: 'week of month',
  e: 'localized day of week',
  c: 'localized day of week',
};

/**
 * Checks a Java `DateTimeFormatter` pattern, as used in Firehose's `!{timestamp:…}` prefix expressions, and
 * returns a formatter for UTC instants.
 *
 * Firehose evaluates `!{timestamp:pattern}` with Java's `DateTimeFormatter`; this is a faithful subset of it,
 * refusing at once what it does not support instead of printing something Firehose would not:
 *
 * | letters | meaning | output |
 * |---|---|---|
 * | `y`, `u` | year | `y` 2016, `yy` 16, `yyy`/`yyyy` 2016, more letters pad with zeros |
 * | `M` | month | `M` 2, `MM` 02, `MMM` Feb, `MMMM` February, `MMMMM` F |
 * | `d` | day of month | `d` 5, `dd` 05 |
 * | `D` | day of year | `D` 56, `DDD` 056 (`DD` is refused: Java 8 and 9+ print it differently) |
 * | `H` / `k` | hour 0–23 / 1–24 | `H` 7, `HH` 07 |
 * | `h` / `K` | hour of AM/PM 1–12 / 0–11 | `h` 1, `hh` 01 |
 * | `m`, `s` | minute, second | `m` 4, `mm` 04 |
 * | `S`… | fraction of second, truncated | `S` 1, `SSS` 123, `SSSS` 1230 (at most 9) |
 * | `a` | AM/PM | `PM` |
 * | `E` | day of week | `E`/`EE`/`EEE` Thu, `EEEE` Thursday, `EEEEE` T |
 * | `'…'` | literal text; `''` is one quote | |
 *
 * Any other character that is not a letter is printed as is (`/`, `-`, `=`, `_`, digits, …). Refused, with a
 * `RangeError` naming the letter and the reason: the week letters `Y`, `w`, `W`, `e`, `c` (their values depend
 * on the JVM's locale, which Firehose does not document), time-zone letters (keys are in UTC), every other
 * letter, optional sections `[` `]`, the reserved `#`, `{`, `}`, too many letters (as Java would refuse), and
 * an unclosed quote. Text (months, days, AM/PM) is English.
 *
 * ## Example
 * ```ts
 * import { compileTimestampPattern } from 'rx-firehose';
 *
 * const hive = compileTimestampPattern("'year='yyyy'/month='MM'/day='dd'/hour='HH");
 * hive.format(Date.parse('2016-02-25T13:00:00Z')); // 'year=2016/month=02/day=25/hour=13'
 * ```
 *
 * @param pattern A Java `DateTimeFormatter` pattern, e.g. `yyyy/MM/dd/HH/`.
 * @returns The checked pattern, with its shortest and longest possible output.
 * @see formatTimestamp for a one-off format.
 */
export function compileTimestampPattern(pattern: string): TimestampPattern {
  if (typeof pattern !== 'string') throw new RangeError(`the pattern must be a string; got ${typeof pattern}`);
  const tokens = tokenize(pattern);
  const minLength = tokens.reduce((sum, t) => sum + t.min, 0);
  const maxLength = tokens.reduce((sum, t) => sum + t.max, 0);
  const formatFields = (fields: UtcFields): string => {
    let out = '';
    for (const token of tokens) out += token.render(fields);
    return out;
  };
  return {
    pattern,
    format: (epochMs) => formatFields(utcFieldsOf(epochMs)),
    formatFields,
    minLength,
    maxLength,
  };
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charAt(i);
    if (isLetter(c)) {
      let count = 1;
      while (pattern.charAt(i + count) === c) count++;
      tokens.push(fieldToken(c, count));
      i += count;
    } else if (c === "'") {
      // Java: scan to the next lone quote; "''" inside (or as the whole literal) stands for one quote.
      let end = i + 1;
      for (;;) {
        if (end >= pattern.length) {
          throw new RangeError(`the quote at index ${i} of the pattern is not closed (write text as 'text', a quote as '')`);
        }
        if (pattern.charAt(end) === "'") {
          if (pattern.charAt(end + 1) === "'") end += 2;
          else break;
        } else end++;
      }
      const raw = pattern.slice(i + 1, end);
      tokens.push(literalToken(raw === '' ? "'" : raw.replaceAll("''", "'")));
      i = end + 1;
    } else if (c === '[' || c === ']') {
      throw new RangeError(`optional sections ("${c}" at index ${i}) are not supported`);
    } else if (c === '#' || c === '{' || c === '}') {
      throw new RangeError(`"${c}" (at index ${i}) is reserved by Java's DateTimeFormatter; quote it as '${c}'`);
    } else {
      tokens.push(literalToken(c));
      i++;
    }
  }
  return tokens;
}

function isLetter(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

function literalToken(text: string): Token {
  return { render: () => text, min: text.length, max: text.length };
}

function number(get: (f: UtcFields) => number, width: number, maxDigits: number): Token {
  return {
    render: (f) => String(get(f)).padStart(width, '0'),
    min: width,
    max: Math.max(width, maxDigits),
  };
}

function text(get: (f: UtcFields) => string, min: number, max: number): Token {
  return { render: get, min, max };
}

function tooMany(letter: string, count: number, most: string): RangeError {
  return new RangeError(`${count} "${letter}" letters are too many (at most ${most}, as in Java)`);
}

function fieldToken(letter: string, count: number): Token {
  switch (letter) {
    case 'y':
    case 'u':
      if (count > 19) throw tooMany(letter, count, '19');
      // Java: two letters print the last two digits; otherwise the count is the minimum width.
      if (count === 2) return number((f) => f.year % 100, 2, 2);
      return number((f) => f.year, count, 4);
    case 'M':
      switch (count) {
        case 1:
          return number((f) => f.month, 1, 2);
        case 2:
          return number((f) => f.month, 2, 2);
        case 3:
          return text((f) => monthName(f).slice(0, 3), 3, 3);
        case 4:
          return text(monthName, 3, 9);
        case 5:
          return text((f) => monthName(f).charAt(0), 1, 1);
        default:
          throw tooMany(letter, count, '5');
      }
    case 'd':
      return twoDigitField(letter, count, (f) => f.day);
    case 'D':
      if (count === 1) return number((f) => f.dayOfYear, 1, 3);
      if (count === 3) return number((f) => f.dayOfYear, 3, 3);
      if (count === 2) {
        throw new RangeError('"DD" is not supported: Java 8 and Java 9+ format it differently; use D or DDD');
      }
      throw tooMany(letter, count, '3');
    case 'H':
      return twoDigitField(letter, count, (f) => f.hour);
    case 'k':
      return twoDigitField(letter, count, (f) => (f.hour === 0 ? 24 : f.hour));
    case 'h':
      return twoDigitField(letter, count, (f) => (f.hour % 12 === 0 ? 12 : f.hour % 12));
    case 'K':
      return twoDigitField(letter, count, (f) => f.hour % 12);
    case 'm':
      return twoDigitField(letter, count, (f) => f.minute);
    case 's':
      return twoDigitField(letter, count, (f) => f.second);
    case 'S':
      if (count > 9) throw tooMany(letter, count, '9');
      // Java prints the first `count` digits of the nine-digit nano fraction; we know it to the millisecond.
      return text((f) => (String(f.millisecond).padStart(3, '0') + '000000').slice(0, count), count, count);
    case 'a':
      if (count > 1) throw tooMany(letter, count, '1');
      return text((f) => (f.hour < 12 ? 'AM' : 'PM'), 2, 2);
    case 'E':
      switch (count) {
        case 1:
        case 2:
        case 3:
          return text((f) => dayName(f).slice(0, 3), 3, 3);
        case 4:
          return text(dayName, 6, 9);
        case 5:
          return text((f) => dayName(f).charAt(0), 1, 1);
        default:
          throw tooMany(letter, count, '5');
      }
    default: {
      const localeDependent = LOCALE_DEPENDENT[letter];
      if (localeDependent !== undefined) {
        throw new RangeError(
          `pattern letter "${letter}" (${localeDependent}) is not supported: its value depends on the JVM's ` +
            'locale, which Firehose does not document',
        );
      }
      if ('VvzOXxZ'.includes(letter)) {
        throw new RangeError(`pattern letter "${letter}" (time zone) is not supported: key timestamps are in UTC`);
      }
      throw new RangeError(`pattern letter "${letter}" is not supported (supported: ${SUPPORTED_PATTERN_LETTERS})`);
    }
  }
}

function twoDigitField(letter: string, count: number, get: (f: UtcFields) => number): Token {
  if (count > 2) throw tooMany(letter, count, '2');
  return number(get, count, 2);
}

function monthName(f: UtcFields): string {
  return MONTHS[f.month - 1] ?? '';
}

function dayName(f: UtcFields): string {
  return DAYS[f.dayOfWeek - 1] ?? '';
}
