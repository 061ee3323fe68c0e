import { describe, expect, it } from 'vitest';
import { checkOpenSearchOptions, type OpenSearchDestinationOptions } from '../../../src/destinations/opensearch/options.js';
import { InvalidOptionError } from '../../../src/index.js';

const base: OpenSearchDestinationOptions = { endpoint: 'https://search-logs-abc123.us-east-1.es.amazonaws.com', indexName: 'logs' };
const client = { send: async () => ({}) } as never;

/** The InvalidOptionError that `options` gets, as [option, value]. */
function refusal(options: unknown): [string, unknown] {
  try {
    checkOpenSearchOptions(options as OpenSearchDestinationOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    const e = err as InvalidOptionError;
    expect(e.message).toContain(`openSearchDestination: ${e.option} must be`);
    return [e.option, e.value];
  }
  throw new Error('accepted');
}

describe('openSearchDestination options', () => {
  it('should default as Firehose does: OneDay rotation, Firehose ids, 300 s retries, 5 MiB / 300 s buffering, failed documents backed up', () => {
    const c = checkOpenSearchOptions(base);
    expect(c).toMatchObject({
      indexRotationPeriod: 'OneDay',
      documentIdFormat: 'FIREHOSE_DEFAULT',
      retryDurationMs: 300_000,
      buffering: { maxBytes: 5 * 1_048_576, maxMs: 300_000 },
      backupMode: 'FailedDocumentsOnly',
      flavour: 'AmazonOpenSearchService',
      typeName: undefined,
      auth: undefined,
    });
    expect(c.endpoint?.href).toBe('https://search-logs-abc123.us-east-1.es.amazonaws.com/');
  });

  it('should take Firehose’s ranges at their edges', () => {
    expect(checkOpenSearchOptions({ ...base, retryDurationMs: 0 }).retryDurationMs).toBe(0);
    expect(checkOpenSearchOptions({ ...base, retryDurationMs: 7_200_000 }).retryDurationMs).toBe(7_200_000);
    expect(checkOpenSearchOptions({ ...base, buffering: { maxBytes: 1_048_576, maxMs: 0 } }).buffering).toEqual({
      maxBytes: 1_048_576,
      maxMs: 0,
    });
    expect(checkOpenSearchOptions({ ...base, buffering: { maxBytes: 104_857_600, maxMs: 900_000 } }).buffering).toEqual({
      maxBytes: 104_857_600,
      maxMs: 900_000,
    });
    expect(checkOpenSearchOptions({ ...base, typeName: 'x'.repeat(100) }).typeName).toBe('x'.repeat(100));
    expect(checkOpenSearchOptions({ ...base, indexName: 'a'.repeat(80) }).indexName).toBe('a'.repeat(80));
  });

  it('should refuse values outside Firehose’s ranges, naming option and value', () => {
    expect(refusal({ ...base, retryDurationMs: 7_200_001 })).toEqual(['retryDurationMs', 7_200_001]);
    expect(refusal({ ...base, retryDurationMs: -1 })).toEqual(['retryDurationMs', -1]);
    expect(refusal({ ...base, buffering: { maxBytes: 1_048_575 } })).toEqual(['buffering.maxBytes', 1_048_575]);
    expect(refusal({ ...base, buffering: { maxBytes: 104_857_601 } })).toEqual(['buffering.maxBytes', 104_857_601]);
    expect(refusal({ ...base, buffering: { maxMs: 900_001 } })).toEqual(['buffering.maxMs', 900_001]);
    expect(refusal({ ...base, indexRotationPeriod: 'OneYear' })).toEqual(['indexRotationPeriod', 'OneYear']);
    expect(refusal({ ...base, documentIdFormat: 'UUID' })).toEqual(['documentIdFormat', 'UUID']);
    expect(refusal({ ...base, backupMode: 'Enabled' })).toEqual(['backupMode', 'Enabled']);
    expect(refusal({ ...base, typeName: 'x'.repeat(101) })).toEqual(['typeName', 'x'.repeat(101)]);
    expect(refusal({ ...base, typeName: '_meta' })).toEqual(['typeName', '_meta']);
    expect(refusal({ ...base, requestTimeoutMs: 0 })).toEqual(['requestTimeoutMs', 0]);
    expect(refusal({ ...base, maxRequestBytes: 1023 })).toEqual(['maxRequestBytes', 1023]);
    expect(refusal({ ...base, maxRequestBytes: 104_857_601 })).toEqual(['maxRequestBytes', 104_857_601]);
  });

  it('should refuse index names OpenSearch would refuse, or longer than Firehose’s 80 characters', () => {
    for (const name of [
      '',
      'Logs',
      'a b',
      'a/b',
      'a*',
      'a?',
      'a"b',
      'a<b',
      'a|b',
      'a,b',
      'a#b',
      'a:b',
      '_logs',
      '-logs',
      '+logs',
      '.',
      '..',
      'a'.repeat(81),
    ]) {
      expect(refusal({ ...base, indexName: name })).toEqual(['indexName', name]);
    }
    expect(refusal({ ...base, indexName: 7 })).toEqual(['indexName', 7]);
  });

  it('should need exactly one of endpoint and domainArn, and a client to resolve the ARN', () => {
    expect(refusal({ indexName: 'logs' })[0]).toBe('endpoint');
    expect(refusal({ ...base, domainArn: 'arn:aws:es:us-east-1:123456789012:domain/logs', openSearchClient: client })[0]).toBe('endpoint');
    expect(refusal({ indexName: 'logs', domainArn: 'arn:aws:es:us-east-1:123456789012:domain/logs' })[0]).toBe('openSearchClient');
    expect(refusal({ indexName: 'logs', domainArn: 'arn:aws:s3:::bucket', openSearchClient: client })).toEqual([
      'domainArn',
      'arn:aws:s3:::bucket',
    ]);
    const c = checkOpenSearchOptions({
      indexName: 'logs',
      domainArn: 'arn:aws:es:eu-west-1:123456789012:domain/my-logs',
      openSearchClient: client,
    });
    expect(c.domainArn).toEqual({ arn: 'arn:aws:es:eu-west-1:123456789012:domain/my-logs', region: 'eu-west-1', domainName: 'my-logs' });
  });

  it('should refuse an endpoint that is not a bare http(s) origin, without showing credentials', () => {
    expect(refusal({ ...base, endpoint: 'ftp://host' })[0]).toBe('endpoint');
    expect(refusal({ ...base, endpoint: 'https://host/path' })[0]).toBe('endpoint');
    expect(refusal({ ...base, endpoint: 'https://host/?q=1' })[0]).toBe('endpoint');
    const [, shown] = refusal({ ...base, endpoint: 'https://admin:s3cret@host' });
    expect(String(shown)).not.toContain('s3cret');
  });

  it('should sign as es by default, aoss for Serverless, in the region of the ARN or the AWS host name', () => {
    expect(checkOpenSearchOptions({ ...base, auth: { type: 'sigv4' } }).auth).toMatchObject({
      type: 'sigv4',
      service: 'es',
      region: 'us-east-1',
    });
    expect(
      checkOpenSearchOptions({
        endpoint: 'https://abc123.eu-central-1.aoss.amazonaws.com',
        indexName: 'logs',
        flavour: 'AmazonOpenSearchServerless',
        auth: { type: 'sigv4' },
      }),
    ).toMatchObject({ auth: { service: 'aoss', region: 'eu-central-1' }, indexRotationPeriod: 'NoRotation' });
    expect(
      checkOpenSearchOptions({
        indexName: 'logs',
        domainArn: 'arn:aws:es:ap-south-1:123456789012:domain/logs',
        openSearchClient: client,
        auth: { type: 'sigv4' },
      }).auth,
    ).toMatchObject({ region: 'ap-south-1' });
    expect(refusal({ ...base, endpoint: 'http://127.0.0.1:9200', auth: { type: 'sigv4' } })).toEqual(['auth.region', undefined]);
    expect(refusal({ ...base, auth: { type: 'sigv4', service: 's3' } })).toEqual(['auth.service', 's3']);
    expect(refusal({ ...base, auth: { type: 'sigv4', credentials: 'AKIA' } })[0]).toBe('auth.credentials');
    expect(refusal({ ...base, auth: { type: 'token' } })).toEqual(['auth.type', 'token']);
  });

  it('should build a basic auth header and never show the password', () => {
    expect(checkOpenSearchOptions({ ...base, auth: { type: 'basic', username: 'admin', password: 'pa:ss' } }).auth).toEqual({
      type: 'basic',
      header: `Basic ${Buffer.from('admin:pa:ss').toString('base64')}`,
    });
    expect(refusal({ ...base, auth: { type: 'basic', username: 'a:b', password: 'x' } })[0]).toBe('auth.username');
    expect(refusal({ ...base, auth: { type: 'basic', username: 'admin', password: 42 } })).toEqual(['auth.password', 'number']);
  });

  it('should refuse a type name for Serverless, which has no mapping types', () => {
    expect(refusal({ ...base, flavour: 'AmazonOpenSearchServerless', typeName: 'doc' })).toEqual(['typeName', 'doc']);
    expect(refusal({ ...base, flavour: 'OpenSearch' })).toEqual(['flavour', 'OpenSearch']);
  });
});
