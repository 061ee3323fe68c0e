import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { checkStreamName, compilePrefix, objectName, randomString } from '../../src/keys/index.js';

const UUID = 'a9fa96af-e4e4-409f-bac3-1f804714faaa';

describe('objectName', () => {
  it('should be <StreamName>-<StreamVersion>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<random> in UTC', () => {
    expect(objectName({ streamName: 'MyStream', arrivalMs: Date.parse('2024-01-02T03:04:05.678Z'), random: () => UUID })).toBe(
      `MyStream-1-2024-01-02-03-04-05-${UUID}`,
    );
  });

  it("should match the guide's dynamic partitioning example, which leaves the version out", () => {
    // Guide: my-delivery-stream-2019-08-09-23-55-09-a9fa96af-e4e4-409f-bac3-1f804714faaa
    expect(objectName({ streamName: 'my-delivery-stream', arrivalMs: Date.parse('2019-08-09T23:55:09Z'), random: () => UUID })).toBe(
      `my-delivery-stream-1-2019-08-09-23-55-09-${UUID}`,
    );
  });

  it('should put the stream version and the extension in place', () => {
    const name = objectName({
      streamName: 'clicks.prod_v2',
      streamVersion: 12,
      arrivalMs: Date.parse('2016-02-25T13:00:00Z'),
      random: () => 'r',
      extension: '.snappy',
    });
    expect(name).toBe('clicks.prod_v2-12-2016-02-25-13-00-00-r.snappy');
  });

  it('should use UTC fields near midnight on New Year', () => {
    const last = Date.parse('2016-12-31T23:59:59.999Z');
    expect(objectName({ streamName: 's', arrivalMs: last, random: () => 'r' })).toBe('s-1-2016-12-31-23-59-59-r');
    expect(objectName({ streamName: 's', arrivalMs: last + 1, random: () => 'r' })).toBe('s-1-2017-01-01-00-00-00-r');
  });

  it('should call random once per name, so every object gets its own', () => {
    const names = new Set<string>();
    for (let i = 0; i < 100; i++) names.add(objectName({ streamName: 's', arrivalMs: 0, random: randomUUID }));
    expect(names.size).toBe(100);
    expect([...names][0]).toMatch(/^s-1-1970-01-01-00-00-00-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('should complete a key after prefixFor', () => {
    const ctx = { arrivalMs: Date.parse('2016-02-25T13:00:00.123Z'), random: () => UUID };
    const key = compilePrefix({ component: 's3' }).prefixFor(ctx) + objectName({ streamName: 'MyStream', ...ctx, extension: '.gz' });
    expect(key).toBe(`2016/02/25/13/MyStream-1-2016-02-25-13-00-00-${UUID}.gz`);
  });

  describe('refusals', () => {
    it('should refuse a stream name Firehose would refuse', () => {
      expect(() => objectName({ streamName: 'a/b', arrivalMs: 0, random: () => 'r' })).toThrow(
        'objectName: streamName must be 1 to 64 characters of a–z, A–Z, 0–9, "_", "." and "-"; got "a/b"',
      );
    });

    it('should refuse a version that is not an integer ≥ 1', () => {
      for (const streamVersion of [0, 1.5, -1, Number.NaN]) {
        expect(() => objectName({ streamName: 's', streamVersion, arrivalMs: 0, random: () => 'r' })).toThrow(InvalidOptionError);
      }
      expect(() => objectName({ streamName: 's', streamVersion: 0, arrivalMs: 0, random: () => 'r' })).toThrow(
        'objectName: streamVersion must be an integer ≥ 1; got 0',
      );
    });

    it('should refuse an extension Firehose would refuse', () => {
      for (const extension of ['gz', '.GZ', '.a/b', '.' + 'x'.repeat(128)]) {
        expect(() => objectName({ streamName: 's', arrivalMs: 0, random: () => 'r', extension })).toThrow(
          /^objectName: extension must be "" or a "\." followed by characters of 0-9, a-z and !-_\.\*'\(\) \(at most 128 characters, Firehose's FileExtension rule\); got /,
        );
      }
      expect(objectName({ streamName: 's', arrivalMs: 0, random: () => 'r', extension: '' })).toBe('s-1-1970-01-01-00-00-00-r');
      expect(objectName({ streamName: 's', arrivalMs: 0, random: () => 'r', extension: '.json.gz' })).toMatch(/-r\.json\.gz$/);
    });

    it('should refuse an arrival time outside years 1-9999', () => {
      expect(() => objectName({ streamName: 's', arrivalMs: Number.NaN, random: () => 'r' })).toThrow(RangeError);
    });
  });
});

describe('checkStreamName', () => {
  it.each(['a', 'A-b_c.9', 'x'.repeat(64)])('should accept %s', (name) => {
    expect(checkStreamName('s3', 'streamName', name)).toBe(name);
  });

  it.each([
    ['', '""'],
    ['x'.repeat(65), JSON.stringify('x'.repeat(65))],
    ['has space', '"has space"'],
    ['slash/', '"slash/"'],
    ['émoji', '"émoji"'],
    [7, '7'],
    [undefined, 'undefined'],
  ])('should refuse %j', (name, shown) => {
    expect(() => checkStreamName('kinesisSource', 'deliveryStreamName', name)).toThrow(
      new InvalidOptionError('kinesisSource', 'deliveryStreamName', name, '1 to 64 characters of a–z, A–Z, 0–9, "_", "." and "-"'),
    );
    expect(() => checkStreamName('kinesisSource', 'deliveryStreamName', name)).toThrow(`; got ${shown}`);
  });
});

describe('randomString', () => {
  it('should return 11 lowercase hexadecimal characters by default', () => {
    expect(randomString()).toMatch(/^[0-9a-f]{11}$/);
  });

  it('should return a new string at each call', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => randomString()));
    expect(seen.size).toBe(1000);
  });

  it('should honour the length', () => {
    for (const n of [1, 2, 3, 32, 1024]) expect(randomString(n)).toMatch(new RegExp(`^[0-9a-f]{${n}}$`));
  });

  it('should use every hexadecimal digit', () => {
    const chars = new Set(randomString(1024));
    expect(chars.size).toBe(16);
  });

  it('should refuse a length that is not an integer from 1 to 1024', () => {
    expect(() => randomString(0)).toThrow('randomString: length must be an integer ≥ 1 and ≤ 1024; got 0');
    expect(() => randomString(2.5)).toThrow(InvalidOptionError);
    expect(() => randomString(1025)).toThrow(InvalidOptionError);
  });
});
