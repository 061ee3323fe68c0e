import { describe, expect, it } from 'vitest';
import { streamFlagsOf } from '../../src/cli/streamFlags.js';

const DYNAMODB = { 'dynamodb-endpoint': 'http://127.0.0.1:8000' };

describe('streamFlagsOf: lease flags', () => {
  it('should pass the lease flags to the environment as dynamoDbLeases options', async () => {
    const flags = await streamFlagsOf({
      ...DYNAMODB,
      'worker-id': 'host-a',
      'lease-duration-ms': '6000',
      'lease-renewal-interval-ms': '1500',
      'lease-balance-interval-ms': '12000',
      'max-leases-per-worker': '4',
    });
    expect(flags).toMatchObject({
      environment: {
        kinesisLeases: {
          workerId: 'host-a',
          leaseDurationMs: 6000,
          renewalIntervalMs: 1500,
          balanceIntervalMs: 12000,
          maxLeasesPerWorker: 4,
        },
      },
    });
  });

  it('should leave the environment without lease options when no lease flag is given', async () => {
    const flags = await streamFlagsOf(DYNAMODB);
    expect(typeof flags === 'object' && 'kinesisLeases' in flags.environment).toBe(false);
  });

  it('should refuse a lease flag without --dynamodb-endpoint, naming it', async () => {
    expect(await streamFlagsOf({ 'worker-id': 'a' })).toBe('--worker-id needs --dynamodb-endpoint (leases live in DynamoDB)');
    expect(await streamFlagsOf({ 'max-leases-per-worker': '2' })).toBe(
      '--max-leases-per-worker needs --dynamodb-endpoint (leases live in DynamoDB)',
    );
  });

  it('should refuse values out of dynamoDbLeases’ ranges, naming the flag, the value and the range', async () => {
    expect(await streamFlagsOf({ ...DYNAMODB, 'lease-duration-ms': '999' })).toBe(
      '--lease-duration-ms must be an integer ≥ 1000 and ≤ 3600000 (ms); got 999',
    );
    expect(await streamFlagsOf({ ...DYNAMODB, 'lease-duration-ms': '3000', 'lease-renewal-interval-ms': '1001' })).toMatch(
      /^--lease-renewal-interval-ms must be .*1000.*; got 1001$/,
    );
    expect(await streamFlagsOf({ ...DYNAMODB, 'lease-balance-interval-ms': '50' })).toMatch(
      /^--lease-balance-interval-ms must be .*100.*; got 50$/,
    );
    expect(await streamFlagsOf({ ...DYNAMODB, 'max-leases-per-worker': '0' })).toMatch(/^--max-leases-per-worker must be .*1.*; got 0$/);
    expect(await streamFlagsOf({ ...DYNAMODB, 'worker-id': '' })).toMatch(/^--worker-id must be a non-empty string/);
    expect(await streamFlagsOf({ ...DYNAMODB, 'lease-duration-ms': '10s' })).toBe('--lease-duration-ms must be a whole number; got 10s');
    expect(await streamFlagsOf({ ...DYNAMODB, 'max-leases-per-worker': '1.5' })).toBe(
      '--max-leases-per-worker must be a whole number; got 1.5',
    );
  });
});
