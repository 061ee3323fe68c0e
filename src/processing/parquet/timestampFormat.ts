import { MONTHS } from '../../keys/compileTimestampPattern.js';

/** Reads timestamp text in one format: milliseconds since the epoch, or `undefined` when the text does not match. */
export type TimestampParser = (value: unknown) => number | undefined;

/** English month names as text is matched (lower case), and their three-letter forms. */
const MONTH_NAMES = MONTHS.map((name) => name.toLowerCase());
const MONTH_ABBREVIATIONS = MONTH_NAMES.map((name) => name.slice(0, 3));

/** `text` as a regular expression that matches it literally. */
const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  pm: boolean | undefined;
  offsetMinutes: number;
}

/**
 * A parser of one of `HiveJsonSerDe`'s `TimestampFormats`: `millis` (milliseconds since the epoch, a JSON
 * integer or integer text), or a Joda-Time pattern of these letters: `yyyy`/`yy` year, `M`/`MM` month,
 * `MMM`/`MMMM` its English name, `d`/`dd` day, `H`/`HH` hour 0–23, `h`/`hh` hour 1–12 with `a` (AM/PM),
 * `m`/`mm` minute, `s`/`ss` second, `S…` fraction of a second, `Z` (`+0100`) or `ZZ` (`+01:00`, or `Z`)
 * offset; text between single quotes and other characters are literal. Times without an offset are UTC.
 * Returns an error message for a pattern it cannot read (another letter: `E`, `z`, `D`, …).
 */
export function timestampFormat(pattern: string): TimestampParser | string {
  if (pattern === 'millis') {
    return (value) => {
      const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
    };
  }
  let source = '';
  const setters: Array<(text: string, f: Fields) => boolean> = [];
  const group = (regex: string, set: (text: string, f: Fields) => boolean): void => {
    source += `(${regex})`;
    setters.push(set);
  };
  const number = (f: Fields, key: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second') => (text: string) => {
    f[key] = Number(text);
    return true;
  };
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return `an unclosed quote in ${JSON.stringify(pattern)}`;
      const literal = end === i + 1 ? "'" : pattern.slice(i + 1, end);
      source += literally(literal);
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      source += literally(c);
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    const width = n === 1 ? '1,2' : `${n}`;
    switch (c) {
      case 'y':
        if (n === 2) group('\\d{2}', (t, f) => ((f.year = 2000 + Number(t)), true));
        else group(n === 1 ? '\\d{1,4}' : `\\d{${n}}`, (t, f) => number(f, 'year')(t));
        break;
      case 'M':
        if (n >= 3) {
          const names = n === 3 ? MONTH_ABBREVIATIONS : MONTH_NAMES;
          group('[A-Za-z]+', (t, f) => ((f.month = names.indexOf(t.toLowerCase()) + 1), f.month > 0));
        } else group(`\\d{${width}}`, (t, f) => number(f, 'month')(t));
        break;
      case 'd':
        group(`\\d{${width}}`, (t, f) => number(f, 'day')(t));
        break;
      case 'H':
      case 'h':
        group(`\\d{${width}}`, (t, f) => number(f, 'hour')(t));
        break;
      case 'm':
        group(`\\d{${width}}`, (t, f) => number(f, 'minute')(t));
        break;
      case 's':
        group(`\\d{${width}}`, (t, f) => number(f, 'second')(t));
        break;
      case 'S':
        group(`\\d{${n}}`, (t, f) => ((f.ms = Math.floor(Number(`0.${t}`) * 1000)), true));
        break;
      case 'a':
        group('[AaPp][Mm]', (t, f) => ((f.pm = t.toLowerCase() === 'pm'), true));
        break;
      case 'Z':
        group(n === 1 ? '[+-]\\d{4}|Z' : '[+-]\\d{2}:\\d{2}|Z', (t, f) => {
          if (t === 'Z') return true;
          const digits = t.slice(1).replace(':', '');
          f.offsetMinutes = (t[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
          return true;
        });
        break;
      default:
        return `the letter ${JSON.stringify(c)} in ${JSON.stringify(pattern)} (supported: y, M, d, H, h, m, s, S, a, Z, quoted text)`;
    }
  }
  const regex = new RegExp(`^${source}$`);
  const twelveHour = /h/.test(pattern.replace(/'[^']*'/g, ''));
  return (value) => {
    if (typeof value !== 'string') return undefined;
    const m = regex.exec(value.trim());
    if (m === null) return undefined;
    const f: Fields = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0, pm: undefined, offsetMinutes: 0 };
    for (let g = 0; g < setters.length; g++) if (!setters[g]!(m[g + 1]!, f)) return undefined;
    if (twelveHour) {
      if (f.hour < 1 || f.hour > 12) return undefined;
      f.hour = (f.hour % 12) + (f.pm ? 12 : 0);
    }
    if (f.hour > 23 || f.minute > 59 || f.second > 59) return undefined;
    const date = new Date(0);
    date.setUTCFullYear(f.year, f.month - 1, f.day);
    date.setUTCHours(f.hour, f.minute, f.second, f.ms);
    if (date.getUTCFullYear() !== f.year || date.getUTCMonth() !== f.month - 1 || date.getUTCDate() !== f.day) return undefined;
    return date.getTime() - f.offsetMinutes * 60_000;
  };
}
