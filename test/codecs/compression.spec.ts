import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/InvalidOptionError.js';
import { COMPRESSIONS, extensionOf, type Compression } from '../../src/codecs/compression.js';

describe('COMPRESSIONS', () => {
  it("should list the Firehose API's CompressionFormat values, frozen", () => {
    expect(COMPRESSIONS).toEqual(['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY']);
    expect(Object.isFrozen(COMPRESSIONS)).toBe(true);
  });
});

describe('extensionOf', () => {
  it("should give Firehose's default file extension for each compression", () => {
    const table: Record<Compression, string> = {
      UNCOMPRESSED: '',
      GZIP: '.gz',
      ZIP: '.zip',
      Snappy: '.snappy',
      HADOOP_SNAPPY: '.hsnappy',
    };
    for (const compression of COMPRESSIONS) expect(extensionOf(compression), compression).toBe(table[compression]);
  });

  it('should refuse anything else with an InvalidOptionError naming the allowed values', () => {
    for (const wrong of ['SNAPPY', 'gzip', '', undefined, null, 1]) {
      const call = () => extensionOf(wrong as unknown as Compression);
      expect(call).toThrow(InvalidOptionError);
      expect(call).toThrow(/extensionOf: compression must be one of 'UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'/);
    }
  });
});
