/**
 * RedshiftDestinationConfiguration and the RxFirehosePostgreSQLDestinationConfiguration extension: what the
 * loader accepts and refuses, by field. End-to-end runs of both are in test/destinations/redshift and
 * test/destinations/postgres, against real servers.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError, planDeliveryStream } from '../../src/index.js';

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const redshift = (extra: Record<string, unknown> = {}, s3: Record<string, unknown> = {}): any => ({
  DeliveryStreamName: 'events',
  RedshiftDestinationConfiguration: {
    RoleARN: ROLE,
    ClusterJDBCURL: 'jdbc:redshift://examplecluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev',
    Username: 'firehose',
    Password: 'Secret123',
    CopyCommand: { DataTableName: 'events', DataTableColumns: 'id,kind', CopyOptions: "JSON 'auto'" },
    S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::staging', ...s3 },
    ...extra,
  },
});
const postgres = (extra: Record<string, unknown> = {}): any => ({
  DeliveryStreamName: 'events',
  RxFirehosePostgreSQLDestinationConfiguration: {
    ConnectionString: 'postgres://loader:secret@127.0.0.1:5432/analytics',
    TableName: 'events',
    Columns: ['id', 'kind'],
    S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::failures' },
    ...extra,
  },
});
const withS3 = { dataDir: '/nonexistent', endpoints: { s3: 'http://127.0.0.1:9' }, region: 'us-east-1' };
const refusal = (input: unknown, environment: object = withS3): InvalidConfigurationError => {
  try {
    planDeliveryStream(input as never, environment).discard();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigurationError);
    return err as InvalidConfigurationError;
  }
  throw new Error('expected the configuration to be refused');
};

describe('planDeliveryStream: RedshiftDestinationConfiguration', () => {
  it('should plan S3 staging then COPY into the table of the JDBC URL', () => {
    const plan = planDeliveryStream(redshift(), withS3);
    expect(plan.description).toContain('s3://staging/ → Redshift examplecluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev events');
    plan.discard();
  });

  it('should refuse, by field, what Redshift staging or COPY cannot take', () => {
    expect(refusal(redshift({}, { CompressionFormat: 'ZIP' })).field).toBe(
      'RedshiftDestinationConfiguration.S3Configuration.CompressionFormat',
    );
    expect(refusal(redshift({ ClusterJDBCURL: 'postgres://x/y' })).field).toBe('RedshiftDestinationConfiguration.ClusterJDBCURL');
    expect(refusal(redshift({ Password: undefined })).field).toBe('RedshiftDestinationConfiguration.Password');
    expect(refusal(redshift({ Password: 'short' })).message).not.toContain('short');
    expect(refusal(redshift({ RetryOptions: { DurationInSeconds: 7201 } })).field).toBe(
      'RedshiftDestinationConfiguration.RetryOptions.DurationInSeconds',
    );
    expect(refusal(redshift({ SecretsManagerConfiguration: { Enabled: true } })).field).toBe(
      'RedshiftDestinationConfiguration.SecretsManagerConfiguration',
    );
    expect(refusal(redshift({ CopyCommand: { DataTableName: 'a b' } })).field).toBe(
      'RedshiftDestinationConfiguration.CopyCommand.DataTableName',
    );
    expect(refusal(redshift({ Unknown: 1 })).field).toBe('RedshiftDestinationConfiguration.Unknown');
  });

  it('should refuse to stage in the local data directory: COPY reads from S3', () => {
    expect(refusal(redshift(), { dataDir: '/nonexistent' })).toMatchObject({ field: 'RedshiftDestinationConfiguration.S3Configuration' });
  });
});

describe('planDeliveryStream: RxFirehosePostgreSQLDestinationConfiguration (an rx-firehose extension)', () => {
  it('should plan a COPY into the table, failures to the bucket', () => {
    const plan = planDeliveryStream(postgres(), { dataDir: '/nonexistent' });
    expect(plan.description).toBe('Direct PUT → PostgreSQL 127.0.0.1:5432/analytics events (failures → /nonexistent/failures)');
    plan.discard();
  });

  it('should refuse, by field, what the PostgreSQL destination cannot take', () => {
    const local = { dataDir: '/nonexistent' };
    expect(refusal(postgres({ ConnectionString: 'mysql://x' }), local).field).toBe(
      'RxFirehosePostgreSQLDestinationConfiguration.ConnectionString',
    );
    expect(refusal(postgres({ JsonColumn: 'doc' }), local).field).toBe('RxFirehosePostgreSQLDestinationConfiguration.Columns');
    expect(refusal(postgres({ RetryOptions: { DurationInSeconds: -1 } }), local).field).toBe(
      'RxFirehosePostgreSQLDestinationConfiguration.RetryOptions.DurationInSeconds',
    );
    expect(refusal(postgres({ S3Configuration: undefined }), local).field).toBe(
      'RxFirehosePostgreSQLDestinationConfiguration.S3Configuration',
    );
  });
});
