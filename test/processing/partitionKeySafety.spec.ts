import { describe, expect, it } from 'vitest';
import { compilePrefix, PartitionKeyError } from '../../src/keys/index.js';

const layout = compilePrefix({
  component: 's3',
  prefix: 'tenant=!{partitionKeyFromQuery:tenant}/!{partitionKeyFromLambda:path}/',
  errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
  dynamicPartitioning: true,
});
const keys = (tenant: string, path = 'p') => ({ queryPartitionKeys: { tenant }, partitionKeys: { path } });

describe('partition key values never take a key out of its prefix', () => {
  it.each(['..', '.', '../etc', 'a/../../b', 'a/./b', '/etc', '\\\\server', 'a\\..\\b'])('should refuse %j', (value) => {
    let error: unknown;
    try {
      layout.partitionIdFor(keys(value));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PartitionKeyError);
    expect(error).toMatchObject({ reason: 'unsafe-path', namespace: 'partitionKeyFromQuery', key: 'tenant' });
    expect(() => layout.prefixFor({ arrivalMs: 0, random: () => 'r', ...keys('ok', value) })).toThrow(PartitionKeyError);
  });

  it.each(['acme', 'a/b', '..a', 'a..', 'a.b', ''])('should keep %j', (value) => {
    expect(layout.prefixFor({ arrivalMs: 0, random: () => 'r', ...keys(value) })).toBe(`tenant=${value}/p/`);
  });

  it('should refuse an empty value where the prefix begins with it (the key would begin with "/")', () => {
    const leading = compilePrefix({
      component: 's3',
      prefix: '!{partitionKeyFromQuery:k}/x/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      dynamicPartitioning: true,
    });
    expect(() => leading.partitionIdFor({ queryPartitionKeys: { k: '' } })).toThrow(/is empty, and the prefix begins with it/);
    expect(leading.prefixFor({ arrivalMs: 0, random: () => 'r', queryPartitionKeys: { k: 'a' } })).toBe('a/x/');
  });
});
