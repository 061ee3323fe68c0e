import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compilePrefix, compileTimestampPattern, formatTimestamp } from '../../src/keys/index.js';

/** Any instant a key may have: years 1 to 9999, millisecond precision. */
const instant = fc
  .date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.getTime());

/** Numeric fields and how to read them back from a UTC Date. */
const NUMERIC: Readonly<Record<string, (d: Date) => number>> = {
  yyyy: (d) => d.getUTCFullYear(),
  MM: (d) => d.getUTCMonth() + 1,
  dd: (d) => d.getUTCDate(),
  HH: (d) => d.getUTCHours(),
  mm: (d) => d.getUTCMinutes(),
  ss: (d) => d.getUTCSeconds(),
  SSS: (d) => d.getUTCMilliseconds(),
  DDD: (d) => Math.round((Date.UTC(2001, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(2001, 0, 1)) / 86_400_000) + 1 + leapShift(d),
};

/** One more day of year after February in a leap year (computed apart from the code under test). */
function leapShift(d: Date): number {
  const y = d.getUTCFullYear();
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return leap && d.getUTCMonth() > 1 ? 1 : 0;
}

const ANY_TOKEN = fc.constantFrom(
  ...Object.keys(NUMERIC),
  'y',
  'yy',
  'u',
  'M',
  'MMM',
  'MMMM',
  'MMMMM',
  'd',
  'D',
  'H',
  'h',
  'hh',
  'k',
  'K',
  'm',
  's',
  'S',
  'SSSSSS',
  'a',
  'E',
  'EEEE',
  "'lit'",
  "''",
  '/',
  '-',
  '=',
  '_',
  '.',
  ' ',
);

/** Literal prefix text: may hold "!", "{" and "}", never the sequence "!{". */
const literal = fc
  .string({ unit: fc.constantFrom(...'ab/=-_.{}!0'.split('')), maxLength: 8 })
  .filter((s) => !s.includes('!{') && !s.endsWith('!'));

type Part =
  | { kind: 'literal'; text: string }
  | { kind: 'timestamp'; pattern: string }
  | { kind: 'random' }
  | { kind: 'query' | 'lambda'; key: string };

const part: fc.Arbitrary<Part> = fc.oneof(
  literal.map((text) => ({ kind: 'literal' as const, text })),
  fc.array(ANY_TOKEN, { minLength: 1, maxLength: 6 }).map((t) => ({ kind: 'timestamp' as const, pattern: t.join('|') })),
  fc.constant({ kind: 'random' as const }),
  fc.constantFrom('a', 'b', 'c').map((key) => ({ kind: 'query' as const, key })),
  fc.constantFrom('a', 'x').map((key) => ({ kind: 'lambda' as const, key })),
);

/** The prefix text of the parts. */
function source(parts: readonly Part[]): string {
  return parts
    .map((p) => {
      switch (p.kind) {
        case 'literal':
          return p.text;
        case 'timestamp':
          return `!{timestamp:${p.pattern}}`;
        case 'random':
          return '!{firehose:random-string}';
        case 'query':
          return `!{partitionKeyFromQuery:${p.key}}`;
        case 'lambda':
          return `!{partitionKeyFromLambda:${p.key}}`;
      }
    })
    .join('');
}

// Partition key values are neither empty nor start with "/": either could make a key absolute, and is refused
// (an empty value only where the prefix begins with it; compilePrefix.spec tests empty values elsewhere).
const value = fc.string({ unit: fc.constantFrom(...'xyz019-_/='.split('')), maxLength: 12 }).filter((v) => v !== '' && !v.startsWith('/'));

describe('key layout properties', () => {
  it("should format yyyy-MM-dd'T'HH:mm:ss.SSS'Z' exactly as Date#toISOString", () => {
    fc.assert(
      fc.property(instant, (ms) => {
        expect(formatTimestamp("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it("should render numeric fields that parse back to the instant's UTC fields", () => {
    fc.assert(
      fc.property(instant, fc.array(fc.constantFrom(...Object.keys(NUMERIC)), { minLength: 1, maxLength: 8 }), (ms, fields) => {
        const out = formatTimestamp(fields.join('/'), ms).split('/');
        const d = new Date(ms);
        fields.forEach((f, i) => expect(Number(out[i])).toBe(NUMERIC[f]?.(d)));
      }),
    );
  });

  it('should render the default prefix as the UTC year, month, day and hour of the arrival time', () => {
    const layout = compilePrefix({ component: 'p' });
    fc.assert(
      fc.property(instant, (ms) => {
        const d = new Date(ms);
        const [y, mo, da, h, rest] = layout.prefixFor({ arrivalMs: ms, random: () => '' }).split('/');
        expect([Number(y), Number(mo), Number(da), Number(h), rest]).toEqual([
          d.getUTCFullYear(),
          d.getUTCMonth() + 1,
          d.getUTCDate(),
          d.getUTCHours(),
          '',
        ]);
      }),
    );
  });

  it("should keep every output within the pattern's shortest and longest length", () => {
    fc.assert(
      fc.property(instant, fc.array(ANY_TOKEN, { minLength: 1, maxLength: 10 }), (ms, tokens) => {
        // Joined with a non-letter, so that e.g. "MMMM" and "MM" stay two fields instead of one "MMMMMM".
        const p = compileTimestampPattern(tokens.join('|'));
        const out = p.format(ms);
        expect(out.length).toBeGreaterThanOrEqual(p.minLength);
        expect(out.length).toBeLessThanOrEqual(p.maxLength);
      }),
    );
  });

  it('should render any valid prefix as its parts at one instant, with no "!{" left', () => {
    fc.assert(
      fc.property(
        fc.array(part, { maxLength: 8 }),
        instant,
        fc.record({ a: value, b: value, c: value }),
        fc.record({ a: value, x: value }),
        (parts, ms, query, lambda) => {
          const prefix = source(parts);
          const dynamic = parts.some((p) => p.kind === 'query' || p.kind === 'lambda');
          const layout = compilePrefix({
            component: 'p',
            prefix,
            errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
            dynamicPartitioning: dynamic,
          });
          let n = 0;
          const random = (): string => `r${n++}`;
          const key = layout.prefixFor({ arrivalMs: ms, random, queryPartitionKeys: query, partitionKeys: lambda });

          let r = 0;
          let expected = parts
            .map((p) => {
              switch (p.kind) {
                case 'literal':
                  return p.text;
                case 'timestamp':
                  return formatTimestamp(p.pattern, ms); // the same instant for every expression
                case 'random':
                  return `r${r++}`; // a new one at every use, in order
                case 'query':
                  return query[p.key as 'a' | 'b' | 'c'];
                case 'lambda':
                  return lambda[p.key as 'a' | 'x'];
              }
            })
            .join('');
          if (!parts.some((p) => p.kind !== 'literal' && p.kind !== 'random')) {
            expected += formatTimestamp('yyyy/MM/dd/HH/', ms);
          }
          expect(key).toBe(expected);
          expect(key).not.toContain('!{');
          expect(n).toBe(r);
        },
      ),
    );
  });
});
