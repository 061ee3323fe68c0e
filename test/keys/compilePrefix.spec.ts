import { describe, expect, it } from 'vitest';
import { compilePrefix, PartitionKeyError, type KeyContext } from '../../src/keys/index.js';

/** A `random` that returns r1, r2, … (11 chars each, like Firehose's) and counts its calls. */
function counter(): { random: () => string; calls: () => number } {
  let n = 0;
  return { random: () => `r${++n}`.padEnd(11, '-'), calls: () => n };
}

const at = (iso: string, random: () => string = counter().random): KeyContext => ({ arrivalMs: Date.parse(iso), random });

/** The instant of the developer guide's example table: "at 10:30 AM UTC on Aug 27, 2018". */
const GUIDE = '2018-08-27T10:30:00Z';

describe('compilePrefix', () => {
  describe('default layout', () => {
    it('should put objects under yyyy/MM/dd/HH/ of the arrival time in UTC', () => {
      const layout = compilePrefix({ component: 's3' });
      expect(layout.prefixFor(at('2016-02-25T13:00:00.123Z'))).toBe('2016/02/25/13/');
      expect(layout.appendsDefaultTimestamp).toBe(true);
      expect(layout.usesPartitionKeys).toBe(false);
    });

    it('should put failures under <error-output-type>/yyyy/MM/dd/HH/', () => {
      const layout = compilePrefix({ component: 's3' });
      expect(layout.errorPrefixFor('processing-failed', at('2016-02-25T13:00:00.123Z'))).toBe('processing-failed/2016/02/25/13/');
      expect(layout.errorPrefixFor('http-endpoint-failed', at('2016-02-25T13:00:00Z'))).toBe('http-endpoint-failed/2016/02/25/13/');
    });

    it('should treat an empty prefix and an empty error prefix as none', () => {
      const layout = compilePrefix({ component: 's3', prefix: '', errorOutputPrefix: '' });
      expect(layout.prefixFor(at(GUIDE))).toBe('2018/08/27/10/');
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('processing-failed/2018/08/27/10/');
      expect(layout.errorOutputPrefix).toBeUndefined();
    });
  });

  describe('the append rule: a prefix without a timestamp gets yyyy/MM/dd/HH/ appended, as plain text', () => {
    it('should append right after the prefix, without adding a slash', () => {
      expect(compilePrefix({ component: 's3', prefix: 'logs/' }).prefixFor(at(GUIDE))).toBe('logs/2018/08/27/10/');
      expect(compilePrefix({ component: 's3', prefix: 'logs' }).prefixFor(at(GUIDE))).toBe('logs2018/08/27/10/');
    });

    it('should append to a prefix whose only expression is a random string', () => {
      const layout = compilePrefix({
        component: 's3',
        prefix: '!{firehose:random-string}/',
        errorOutputPrefix: '!{firehose:error-output-type}/',
      });
      expect(layout.prefixFor(at(GUIDE, () => '046b6c7f-0b'))).toBe('046b6c7f-0b/2018/08/27/10/');
    });

    it('should not append to a prefix with a timestamp expression', () => {
      const layout = compilePrefix({
        component: 's3',
        prefix: 'dt=!{timestamp:yyyy-MM-dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      });
      expect(layout.prefixFor(at(GUIDE))).toBe('dt=2018-08-27/');
      expect(layout.appendsDefaultTimestamp).toBe(false);
    });

    it("should not append to a dynamic partitioning prefix (the guide's dynamic partitioning example)", () => {
      const layout = compilePrefix({
        component: 's3',
        prefix: 'customer_id=!{partitionKeyFromQuery:customer_id}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        dynamicPartitioning: true,
      });
      expect(layout.prefixFor({ ...at(GUIDE), queryPartitionKeys: { customer_id: '42' } })).toBe('customer_id=42/');
      expect(layout.appendsDefaultTimestamp).toBe(false);
    });

    it('should build the default error path from the plain prefix', () => {
      const layout = compilePrefix({ component: 's3', prefix: 'logs/' });
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('logs/processing-failed/2018/08/27/10/');
    });
  });

  describe("the developer guide's example prefixes (at 10:30 AM UTC on Aug 27, 2018)", () => {
    it('row 1: Prefix unspecified, ErrorOutputPrefix myFirehoseFailures/!{firehose:error-output-type}/', () => {
      const layout = compilePrefix({ component: 's3', errorOutputPrefix: 'myFirehoseFailures/!{firehose:error-output-type}/' });
      // The table prints "2018/08/27/10" (older versions: "2018/08/10/"); the default prefix is yyyy/MM/dd/HH/
      // with its trailing slash, as stated by the semantic rules.
      expect(layout.prefixFor(at(GUIDE))).toBe('2018/08/27/10/');
      // An error prefix gets nothing appended.
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('myFirehoseFailures/processing-failed/');
    });

    it('row 2: Prefix !{timestamp:yyyy/MM/dd}, ErrorOutputPrefix unspecified: invalid input', () => {
      expect(() => compilePrefix({ component: 's3', prefix: '!{timestamp:yyyy/MM/dd}' })).toThrow(
        'ErrorOutputPrefix cannot be null or empty when Prefix contains expressions',
      );
    });

    it('row 3: timestamps, a random string, and timestamps in the error prefix', () => {
      const layout = compilePrefix({
        component: 's3',
        prefix: 'myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}',
        errorOutputPrefix: 'myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}',
      });
      expect(layout.prefixFor(at(GUIDE, () => '5abf82daaa5'))).toBe('myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5');
      // The table prints ".../anyMonth/10" for dd on Aug 27; dd is the day of month, 27.
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('myFirehoseFailures/processing-failed/2018/anyMonth/27');
    });

    it('row 4: Hive-style prefixes (the row is evaluated at 2018-07-06T23)', () => {
      const ctx = at('2018-07-06T23:10:00Z');
      const layout = compilePrefix({
        component: 's3',
        prefix: 'myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        errorOutputPrefix:
          'myErrorPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/!{firehose:error-output-type}',
      });
      expect(layout.prefixFor(ctx)).toBe('myPrefix/year=2018/month=07/day=06/hour=23/');
      expect(layout.errorPrefixFor('processing-failed', ctx)).toBe('myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed');

      // An earlier version of the row wrote the error prefix with quoted literals, for the same result.
      const quoted = compilePrefix({
        component: 's3',
        prefix: 'myPrefix/',
        errorOutputPrefix: "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}",
      });
      expect(quoted.errorPrefixFor('processing-failed', ctx)).toBe('myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed');
    });

    it('row 5: Prefix myFirehosePrefix, ErrorOutputPrefix unspecified', () => {
      const layout = compilePrefix({ component: 's3', prefix: 'myFirehosePrefix' });
      // The table prints "myFirehosePrefix/2018/08/27/" and "myFirehosePrefix/processing-failed/2018/08/27/".
      // The semantic rules (and keys observed on real Firehose) concatenate the prefix and yyyy/MM/dd/HH/ as
      // they are: a prefix meant as a folder must end with "/".
      expect(layout.prefixFor(at(GUIDE))).toBe('myFirehosePrefix2018/08/27/10/');
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('myFirehosePrefixprocessing-failed/2018/08/27/10/');

      const folder = compilePrefix({ component: 's3', prefix: 'myFirehosePrefix/' });
      expect(folder.prefixFor(at(GUIDE))).toBe('myFirehosePrefix/2018/08/27/10/');
      expect(folder.errorPrefixFor('processing-failed', at(GUIDE))).toBe('myFirehosePrefix/processing-failed/2018/08/27/10/');
    });

    it('the firehose namespace table: error-output-type and random-string examples', () => {
      const errors = compilePrefix({
        component: 's3',
        errorOutputPrefix: 'myPrefix/result=!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}',
      });
      expect(errors.errorPrefixFor('processing-failed', at('2018-08-03T12:00:00Z'))).toBe('myPrefix/result=processing-failed/2018/08/03');
      const random = compilePrefix({
        component: 's3',
        prefix: 'myPrefix/!{firehose:random-string}/',
        errorOutputPrefix: '!{firehose:error-output-type}/',
      });
      expect(random.prefixFor(at(GUIDE, () => '046b6c7f-0b'))).toBe('myPrefix/046b6c7f-0b/2018/08/27/10/');
    });
  });

  describe('one instant per key', () => {
    it('should evaluate every timestamp expression of a key at the same instant', () => {
      const layout = compilePrefix({
        component: 's3',
        prefix: '!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH:mm:ss.SSS}/!{timestamp:yyyy-MM-dd}/',
        errorOutputPrefix: '!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:DDD}/',
      });
      const last = at('2016-12-31T23:59:59.999Z');
      expect(layout.prefixFor(last)).toBe('2016/12/31/23:59:59.999/2016-12-31/');
      expect(layout.errorPrefixFor('splunk-failed', last)).toBe('splunk-failed/2016/366/');
    });

    it('should use the arrival time given, whatever the wall clock says', () => {
      const layout = compilePrefix({ component: 's3' });
      expect(layout.prefixFor(at('1999-12-31T23:00:00Z'))).toBe('1999/12/31/23/');
      expect(layout.prefixFor(at('2000-01-01T00:00:00Z'))).toBe('2000/01/01/00/');
    });
  });

  describe('random strings', () => {
    it('should draw a new random string at each use', () => {
      const { random, calls } = counter();
      const layout = compilePrefix({
        component: 's3',
        prefix: '!{firehose:random-string}/a/!{firehose:random-string}/!{timestamp:yyyy}/',
        errorOutputPrefix: '!{firehose:random-string}/!{firehose:error-output-type}/',
      });
      const ctx = { arrivalMs: Date.parse(GUIDE), random };
      expect(layout.prefixFor(ctx)).toBe('r1---------/a/r2---------/2018/');
      expect(layout.prefixFor(ctx)).toBe('r3---------/a/r4---------/2018/');
      expect(layout.errorPrefixFor('processing-failed', ctx)).toBe('r5---------/processing-failed/');
      expect(calls()).toBe(5);
    });

    it('should not call random when the prefix has no random-string expression', () => {
      const { random, calls } = counter();
      compilePrefix({ component: 's3', prefix: 'x/' }).prefixFor({ arrivalMs: 0, random });
      expect(calls()).toBe(0);
    });
  });

  describe('error output type', () => {
    it('should use the same error string for every !{firehose:error-output-type} of a key', () => {
      const layout = compilePrefix({
        component: 's3',
        errorOutputPrefix: '!{firehose:error-output-type}/x/!{firehose:error-output-type}/',
      });
      expect(layout.errorPrefixFor('format-conversion-failed', at(GUIDE))).toBe('format-conversion-failed/x/format-conversion-failed/');
    });

    it('should use a literal error prefix as it is, for every error type', () => {
      const layout = compilePrefix({ component: 's3', errorOutputPrefix: 'errors/' });
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('errors/');
      expect(layout.errorPrefixFor('AmazonOpenSearchService-failed', at(GUIDE))).toBe('errors/');
    });

    it('should refuse an empty error output type', () => {
      expect(() => compilePrefix({ component: 's3' }).errorPrefixFor('', at(GUIDE))).toThrow(
        's3: errorOutputType must be a non-empty string such as "processing-failed"; got ""',
      );
    });

    it('should refuse an arrival time it cannot format', () => {
      const layout = compilePrefix({ component: 's3' });
      expect(() => layout.prefixFor({ arrivalMs: Number.NaN, random: () => 'x' })).toThrow(RangeError);
      expect(() => layout.errorPrefixFor('processing-failed', { arrivalMs: 1e17, random: () => 'x' })).toThrow(RangeError);
    });
  });

  describe('partition keys (dynamic partitioning)', () => {
    const dynamic = (prefix: string) =>
      compilePrefix({ component: 's3', prefix, errorOutputPrefix: 'errors/!{firehose:error-output-type}/', dynamicPartitioning: true });

    it("should render the guide's dynamic partitioning example", () => {
      const layout = dynamic(
        'customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/' +
          'year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/' +
          'day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/',
      );
      const keys = { customer_id: '1234567890', device: 'mobile', year: '2019', month: '08', day: '09', hour: '20' };
      expect(layout.prefixFor({ ...at('2019-08-09T23:55:09Z'), queryPartitionKeys: keys })).toBe(
        'customer_id=1234567890/device=mobile/year=2019/month=08/day=09/hour=20/',
      );
      expect(layout.queryPartitionKeyNames).toEqual(['customer_id', 'device', 'year', 'month', 'day', 'hour']);
      expect(layout.lambdaPartitionKeyNames).toEqual([]);
    });

    it("should render the Athena guide's mix of timestamps and a query key", () => {
      const layout = dynamic('prefix/!{timestamp:yyyy}-!{timestamp:MM}-!{timestamp:dd}/!{partitionKeyFromQuery:customer_id}/');
      expect(layout.prefixFor({ ...at('2021-11-01T08:00:00Z'), queryPartitionKeys: { customer_id: 'customer-1234' } })).toBe(
        'prefix/2021-11-01/customer-1234/',
      );
    });

    it('should take Lambda keys from partitionKeys and query keys from queryPartitionKeys', () => {
      const layout = dynamic('q=!{partitionKeyFromQuery:k}/l=!{partitionKeyFromLambda:k}/again=!{partitionKeyFromQuery:k}/');
      const ctx = { ...at(GUIDE), queryPartitionKeys: { k: 'fromQuery' }, partitionKeys: { k: 'fromLambda' } };
      expect(layout.prefixFor(ctx)).toBe('q=fromQuery/l=fromLambda/again=fromQuery/');
      expect(layout.queryPartitionKeyNames).toEqual(['k']);
      expect(layout.lambdaPartitionKeyNames).toEqual(['k']);
      expect(layout.usesPartitionKeys).toBe(true);
    });

    it('should not use partition keys for the error prefix', () => {
      const layout = dynamic('c=!{partitionKeyFromLambda:customerId}/');
      expect(layout.errorPrefixFor('processing-failed', at(GUIDE))).toBe('errors/processing-failed/');
    });

    it('should throw PartitionKeyError when a key the prefix uses has no value', () => {
      const layout = dynamic('c=!{partitionKeyFromLambda:customerId}/');
      const error = catchError(() => layout.prefixFor({ ...at(GUIDE), partitionKeys: { other: 'x' } }));
      expect(error).toBeInstanceOf(PartitionKeyError);
      expect(error).toMatchObject({
        name: 'PartitionKeyError',
        component: 's3',
        reason: 'missing',
        namespace: 'partitionKeyFromLambda',
        key: 'customerId',
        message:
          's3: partition key "customerId" of !{partitionKeyFromLambda:customerId} has no value in the Lambda\'s metadata.partitionKeys',
      });
      // No map at all, a value of undefined, and inherited properties are missing too.
      expect(() => layout.prefixFor(at(GUIDE))).toThrow(PartitionKeyError);
      expect(() => layout.prefixFor({ ...at(GUIDE), partitionKeys: { customerId: undefined as unknown as string } })).toThrow(
        PartitionKeyError,
      );
      const proto = dynamic('c=!{partitionKeyFromQuery:constructor}/');
      expect(() => proto.prefixFor({ ...at(GUIDE), queryPartitionKeys: {} })).toThrow(
        's3: partition key "constructor" of !{partitionKeyFromQuery:constructor} has no value in the query partition keys',
      );
    });

    it('should throw PartitionKeyError when a value is not a string', () => {
      const layout = dynamic('year=!{partitionKeyFromLambda:year}/');
      const error = catchError(() => layout.prefixFor({ ...at(GUIDE), partitionKeys: { year: 2021 as unknown as string } }));
      expect(error).toMatchObject({
        reason: 'not-a-string',
        key: 'year',
        message: 's3: partition key "year" of !{partitionKeyFromLambda:year} must be a string; got number',
      });
    });

    it('should throw PartitionKeyError when the values could make the prefix longer than 512 characters', () => {
      const layout = dynamic('p/!{partitionKeyFromQuery:a}/');
      expect(layout.prefixFor({ ...at(GUIDE), queryPartitionKeys: { a: 'x'.repeat(509) } })).toHaveLength(512);
      const error = catchError(() => layout.prefixFor({ ...at(GUIDE), queryPartitionKeys: { a: 'x'.repeat(510) } }));
      expect(error).toMatchObject({
        reason: 'too-long',
        namespace: undefined,
        key: undefined,
        message: 's3: with these partition key values the evaluated prefix can be 513 characters long; Firehose allows at most 512',
      });
    });

    it('should accept an empty string as a value', () => {
      expect(dynamic('c=!{partitionKeyFromQuery:c}/').prefixFor({ ...at(GUIDE), queryPartitionKeys: { c: '' } })).toBe('c=/');
    });

    describe('partitionIdFor', () => {
      const layout = dynamic(
        '!{timestamp:yyyy}/!{firehose:random-string}/a=!{partitionKeyFromQuery:a}/b=!{partitionKeyFromLambda:b}/a=!{partitionKeyFromQuery:a}/',
      );

      it('should be equal exactly when the partition key values are equal', () => {
        const one = layout.partitionIdFor({ queryPartitionKeys: { a: '1', unused: 'x' }, partitionKeys: { b: '2' } });
        expect(one).toBe(layout.partitionIdFor({ queryPartitionKeys: { a: '1' }, partitionKeys: { b: '2', unused: 'y' } }));
        expect(one).not.toBe(layout.partitionIdFor({ queryPartitionKeys: { a: '1' }, partitionKeys: { b: '3' } }));
        // Values are kept apart: ("1/2", "3") is not ("1", "2/3").
        expect(layout.partitionIdFor({ queryPartitionKeys: { a: '1/2' }, partitionKeys: { b: '3' } })).not.toBe(
          layout.partitionIdFor({ queryPartitionKeys: { a: '1' }, partitionKeys: { b: '2/3' } }),
        );
      });

      it('should throw the errors prefixFor would, before the record is buffered', () => {
        expect(() => layout.partitionIdFor({ queryPartitionKeys: { a: '1' } })).toThrow(PartitionKeyError);
        // 26 characters around the keys (the year counted as 4, the random string as 11) + 2 × 300 + 1.
        expect(() => layout.partitionIdFor({ queryPartitionKeys: { a: 'x'.repeat(300) }, partitionKeys: { b: '2' } })).toThrow(
          /evaluated prefix can be 627 characters long/,
        );
      });

      it("should be '' without partition keys", () => {
        expect(compilePrefix({ component: 's3' }).partitionIdFor({})).toBe('');
      });
    });
  });

  describe('what the layout tells its caller', () => {
    it('should keep the configured prefixes and options', () => {
      const layout = compilePrefix({
        component: 's3',
        prefix: 'a/!{timestamp:yyyy}/',
        errorOutputPrefix: 'e/!{firehose:error-output-type}/',
      });
      expect(layout).toMatchObject({
        prefix: 'a/!{timestamp:yyyy}/',
        errorOutputPrefix: 'e/!{firehose:error-output-type}/',
        dynamicPartitioning: false,
        usesPartitionKeys: false,
        appendsDefaultTimestamp: false,
      });
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
