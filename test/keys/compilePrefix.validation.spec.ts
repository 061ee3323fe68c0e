import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { compilePrefix, type CompilePrefixOptions } from '../../src/keys/index.js';

const ERR = '!{firehose:error-output-type}/';

/** Compiles and returns the InvalidOptionError it must throw. */
function refusal(options: Omit<CompilePrefixOptions, 'component'>): InvalidOptionError {
  try {
    compilePrefix({ component: 's3', ...options });
  } catch (err) {
    if (err instanceof InvalidOptionError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

describe('compilePrefix: validation at construction', () => {
  describe('types', () => {
    it('should refuse a prefix that is not a string', () => {
      const err = refusal({ prefix: 42 as unknown as string });
      expect(err).toMatchObject({ component: 's3', option: 'prefix', value: 42, allowed: 'a string' });
      expect(err.message).toBe('s3: prefix must be a string; got 42');
    });

    it('should refuse an error prefix that is not a string', () => {
      expect(refusal({ errorOutputPrefix: null as unknown as string }).message).toBe('s3: errorOutputPrefix must be a string; got null');
    });

    it('should refuse a dynamicPartitioning that is not a boolean', () => {
      expect(refusal({ dynamicPartitioning: 'yes' as unknown as boolean }).message).toBe(
        's3: dynamicPartitioning must be a boolean; got "yes"',
      );
    });
  });

  describe('length (API model: 0–1024 characters; developer guide: at most 512 once evaluated)', () => {
    it('should refuse a prefix over 1024 characters', () => {
      const prefix = 'a'.repeat(1025);
      const err = refusal({ prefix });
      expect(err.option).toBe('prefix');
      expect(err.allowed).toBe("at most 1024 characters long (Firehose's limit); it is 1025");
    });

    it('should refuse an error prefix over 1024 characters', () => {
      const err = refusal({ errorOutputPrefix: 'e'.repeat(1030) });
      expect(err.option).toBe('errorOutputPrefix');
      expect(err.allowed).toBe("at most 1024 characters long (Firehose's limit); it is 1030");
    });

    it('should refuse a prefix whose evaluated form can pass 512 characters', () => {
      // 498 + yyyy/MM/dd/HH/ (14) = 512 is fine; 499 is not.
      expect(compilePrefix({ component: 's3', prefix: 'p'.repeat(498) }).prefixFor({ arrivalMs: 0, random: () => '' })).toHaveLength(512);
      expect(refusal({ prefix: 'p'.repeat(499) }).allowed).toBe(
        "a prefix whose evaluated form stays within 512 characters (Firehose's limit after evaluation); it can reach 513",
      );
      // Counted at the longest: MMMM can be "September" (9), a random string is 11.
      const longest = '!{timestamp:MMMM}!{firehose:random-string}';
      expect(() => compilePrefix({ component: 's3', prefix: 'p'.repeat(492) + longest, errorOutputPrefix: ERR })).not.toThrow();
      expect(refusal({ prefix: 'p'.repeat(493) + longest, errorOutputPrefix: ERR }).allowed).toMatch(/it can reach 513$/);
    });

    it('should refuse an error prefix whose evaluated form can pass 512 characters', () => {
      // The error output type is counted as 30 characters, the longest Firehose writes.
      const fits = 'e'.repeat(482) + '!{firehose:error-output-type}';
      expect(() => compilePrefix({ component: 's3', errorOutputPrefix: fits })).not.toThrow();
      expect(refusal({ errorOutputPrefix: 'e' + fits }).message).toBe(
        `s3: errorOutputPrefix must be a prefix whose evaluated form stays within 512 characters (Firehose's limit after evaluation); it can reach 513; got "${'e' + fits}"`,
      );
    });
  });

  describe('expression syntax ("!{" can only appear in !{namespace:value} expressions)', () => {
    it.each([
      [
        'logs/!{timestamp:yyyy',
        'a prefix whose every "!{" opens a !{namespace:value} expression closed by "}"; the "!{" at index 5 is not closed',
      ],
      ['a/!{}/', 'a prefix whose expressions have the form !{namespace:value}; "!{}" at index 2 is empty'],
      ['!{timestamp}', 'a prefix whose expressions have the form !{namespace:value}; "!{timestamp}" at index 0 has no ":"'],
      ['!{timestamp:}', 'a prefix whose expressions have the form !{namespace:value}; "!{timestamp:}" at index 0 has an empty value'],
      [
        '!{timestamp:!{timestamp:yyyy}}',
        'a prefix without nested expressions; the expression at index 0 is not closed before the "!{" at index 12',
      ],
      [
        'x/!{timestamp:yyyy/!{firehose:random-string}/',
        'a prefix without nested expressions; the expression at index 2 is not closed before the "!{" at index 19',
      ],
      [
        'a/!{date:yyyy}/',
        'a prefix whose expressions use the namespaces timestamp, firehose, partitionKeyFromQuery or partitionKeyFromLambda; "!{date:yyyy}" at index 2 uses "date"',
      ],
      [
        '!{Timestamp:yyyy}',
        'a prefix whose expressions use the namespaces timestamp, firehose, partitionKeyFromQuery or partitionKeyFromLambda; "!{Timestamp:yyyy}" at index 0 uses "Timestamp"',
      ],
      [
        '!{firehose:uuid}/',
        'a prefix whose expressions use firehose:random-string or firehose:error-output-type; "!{firehose:uuid}" at index 0 uses "uuid"',
      ],
    ])('should refuse the prefix %s', (prefix, allowed) => {
      const err = refusal({ prefix, errorOutputPrefix: ERR });
      expect(err).toMatchObject({ option: 'prefix', value: prefix, allowed });
      expect(err.message).toBe(`s3: prefix must be ${allowed}; got ${JSON.stringify(prefix)}`);
    });

    it('should check the error prefix the same way', () => {
      const err = refusal({ errorOutputPrefix: '!{firehose:error-output-type}/!{timestamp:yyyy' });
      expect(err.option).toBe('errorOutputPrefix');
      expect(err.allowed).toBe(
        'a prefix whose every "!{" opens a !{namespace:value} expression closed by "}"; the "!{" at index 30 is not closed',
      );
    });

    it('should accept "!", "{" and "}" on their own as literal text', () => {
      const layout = compilePrefix({ component: 's3', prefix: 'a!/{b}/!/' });
      expect(layout.prefixFor({ arrivalMs: Date.parse('2016-02-25T13:00:00Z'), random: () => '' })).toBe('a!/{b}/!/2016/02/25/13/');
    });
  });

  describe('timestamp patterns', () => {
    it.each([
      [
        '!{timestamp:yyyy-ww}/',
        'pattern letter "w" (week of week-based year) is not supported: its value depends on the JVM\'s locale, which Firehose does not document',
      ],
      ['!{timestamp:DD}/', '"DD" is not supported: Java 8 and Java 9+ format it differently; use D or DDD'],
      ["!{timestamp:'year=yyyy}/", "the quote at index 0 of the pattern is not closed (write text as 'text', a quote as '')"],
      ['!{timestamp:HHH}/', '3 "H" letters are too many (at most 2, as in Java)'],
      ['!{timestamp:yyyy[MM]}/', 'optional sections ("[" at index 4) are not supported'],
    ])('should refuse %s', (prefix, reason) => {
      const err = refusal({ prefix, errorOutputPrefix: ERR });
      const source = prefix.slice(0, prefix.indexOf('}') + 1);
      expect(err.allowed).toBe(
        `a prefix whose expressions hold Java DateTimeFormatter patterns this library supports; "${source}" at index 0: ${reason}`,
      );
    });

    it('should check patterns in the error prefix too', () => {
      const err = refusal({ errorOutputPrefix: '!{firehose:error-output-type}/!{timestamp:xx}' });
      expect(err.option).toBe('errorOutputPrefix');
      expect(err.allowed).toMatch(
        /^a prefix whose expressions hold Java DateTimeFormatter patterns this library supports; "!\{timestamp:xx\}" at index 30: pattern letter "x" \(time zone\)/,
      );
    });
  });

  describe('which expression goes where', () => {
    it('should refuse !{firehose:error-output-type} in the prefix', () => {
      const err = refusal({ prefix: 'a/!{firehose:error-output-type}/', errorOutputPrefix: ERR });
      expect(err.message).toBe(
        's3: prefix must be a prefix without !{firehose:error-output-type}, which only errorOutputPrefix may use; found at index 2; got "a/!{firehose:error-output-type}/"',
      );
    });

    it("should require an error prefix when the prefix has expressions (Firehose's own message)", () => {
      const err = refusal({ prefix: '!{timestamp:yyyy/MM/dd}' });
      expect(err).toMatchObject({ option: 'errorOutputPrefix', value: undefined });
      expect(err.message).toBe(
        's3: errorOutputPrefix must be a non-empty prefix when prefix contains expressions (Firehose: "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"); got undefined',
      );
      expect(refusal({ prefix: 'r=!{firehose:random-string}/', errorOutputPrefix: '' })).toMatchObject({
        option: 'errorOutputPrefix',
        value: '',
      });
    });

    it('should not require an error prefix for a plain prefix', () => {
      expect(() => compilePrefix({ component: 's3', prefix: 'plain/' })).not.toThrow();
    });

    it('should require !{firehose:error-output-type} in an error prefix with expressions', () => {
      const errorOutputPrefix = 'errors/!{timestamp:yyyy}/';
      expect(refusal({ errorOutputPrefix }).message).toBe(
        `s3: errorOutputPrefix must be a prefix with at least one !{firehose:error-output-type} when it contains any expression; got "${errorOutputPrefix}"`,
      );
      expect(refusal({ errorOutputPrefix: 'errors/!{firehose:random-string}/' }).option).toBe('errorOutputPrefix');
    });

    it('should accept an error prefix without any expression', () => {
      expect(() => compilePrefix({ component: 's3', errorOutputPrefix: 'errors/' })).not.toThrow();
    });
  });

  describe('dynamic partitioning', () => {
    it('should refuse partition key expressions without dynamic partitioning', () => {
      for (const prefix of ['c=!{partitionKeyFromQuery:c}/', 'c=!{partitionKeyFromLambda:c}/']) {
        const err = refusal({ prefix, errorOutputPrefix: ERR });
        expect(err.message).toBe(
          `s3: prefix must be a prefix without partition key expressions unless dynamicPartitioning is true; "${prefix.slice(2, -1)}" at index 2; got "${prefix}"`,
        );
      }
    });

    it('should require a partition key expression when dynamic partitioning is on', () => {
      const err = refusal({ prefix: 'data/!{timestamp:yyyy}/', errorOutputPrefix: ERR, dynamicPartitioning: true });
      expect(err.message).toBe(
        's3: prefix must be a prefix with at least one !{partitionKeyFromQuery:…} or !{partitionKeyFromLambda:…} expression when dynamicPartitioning is true; got "data/!{timestamp:yyyy}/"',
      );
      expect(refusal({ dynamicPartitioning: true }).option).toBe('prefix');
    });

    it('should require an error prefix with dynamic partitioning', () => {
      expect(refusal({ prefix: 'c=!{partitionKeyFromQuery:c}/', dynamicPartitioning: true })).toMatchObject({
        option: 'errorOutputPrefix',
        value: undefined,
      });
    });

    it('should refuse partition key expressions in the error prefix', () => {
      const errorOutputPrefix = 'errors/!{firehose:error-output-type}/c=!{partitionKeyFromQuery:c}/';
      const err = refusal({ prefix: 'c=!{partitionKeyFromQuery:c}/', errorOutputPrefix, dynamicPartitioning: true });
      expect(err.message).toBe(
        `s3: errorOutputPrefix must be a prefix without partition key expressions (failed records may have no partition keys); "!{partitionKeyFromQuery:c}" at index 39; got "${errorOutputPrefix}"`,
      );
    });
  });
});
