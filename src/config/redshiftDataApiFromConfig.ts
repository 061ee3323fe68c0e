import type { RedshiftDataApiOptions } from '../destinations/redshift/options.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configNumber } from './configNumber.js';
import { configString } from './configString.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/** The field of this rx-firehose extension inside `RedshiftDestinationConfiguration` (Firehose has no Data API fields). */
export const REDSHIFT_DATA_API_CONFIGURATION = 'RxFirehoseDataApiConfiguration';
/** `PollIntervalInSeconds`: 0.1–300, default 1. */
export const DATA_API_POLL_INTERVAL = { min: 0.1, max: 300, default: 1, integer: false, unit: 'seconds' } as const;

const NAME = /^[a-zA-Z0-9_.:/-]{1,2048}$/;

/**
 * Maps `RxFirehoseDataApiConfiguration`, an rx-firehose extension of `RedshiftDestinationConfiguration`, to
 * `redshiftDestination`'s `dataApi`: `WorkgroupName` (Redshift Serverless) or `ClusterIdentifier` (with
 * `DbUser` or `SecretArn`), `Database` (default: the database of `ClusterJDBCURL`, when given), `SecretArn`,
 * `PollIntervalInSeconds` (0.1–300, default 1). The client is `environment.redshiftDataClient`, or one built
 * from `endpoints.redshiftData` and the AWS SDK's chain.
 *
 * ## Example
 * ```ts
 * const dataApi = redshiftDataApiFromConfig({ WorkgroupName: 'analytics', Database: 'dev' }, 'RedshiftDestinationConfiguration.RxFirehoseDataApiConfiguration', ctx, undefined);
 * ```
 */
export function redshiftDataApiFromConfig(
  config: unknown,
  path: string,
  ctx: ConfigContext,
  jdbcDatabase: string | undefined,
): RedshiftDataApiOptions {
  const fields = checkFields(config, path, {
    supported: ['WorkgroupName', 'ClusterIdentifier', 'Database', 'DbUser', 'SecretArn', 'PollIntervalInSeconds'],
  });
  const name = (field: string): string | undefined =>
    configString(fields[field], `${path}.${field}`, { minLength: 1, maxLength: 2048, pattern: NAME, description: 'a name or an ARN' });
  const workgroupName = name('WorkgroupName');
  const clusterIdentifier = name('ClusterIdentifier');
  const dbUser = name('DbUser');
  const secretArn = name('SecretArn');
  const database = name('Database') ?? jdbcDatabase;
  if ((workgroupName === undefined) === (clusterIdentifier === undefined))
    throw InvalidConfigurationError.invalid(
      `${path}.WorkgroupName`,
      workgroupName,
      'either WorkgroupName (Redshift Serverless) or ClusterIdentifier (a provisioned cluster), not both nor neither',
    );
  if (database === undefined)
    throw InvalidConfigurationError.invalid(`${path}.Database`, undefined, 'given (or a ClusterJDBCURL naming the database)');
  if (workgroupName !== undefined && dbUser !== undefined)
    throw InvalidConfigurationError.invalid(
      `${path}.DbUser`,
      dbUser,
      'absent with WorkgroupName (Serverless uses the IAM identity, or SecretArn)',
    );
  if (clusterIdentifier !== undefined && (dbUser === undefined) === (secretArn === undefined))
    throw InvalidConfigurationError.invalid(`${path}.DbUser`, dbUser, 'with ClusterIdentifier, either DbUser or SecretArn');
  const pollS = configNumber(fields.PollIntervalInSeconds, `${path}.PollIntervalInSeconds`, DATA_API_POLL_INTERVAL);
  return {
    client: ctx.clients.redshiftData(),
    ...(workgroupName === undefined ? {} : { workgroupName }),
    ...(clusterIdentifier === undefined ? {} : { clusterIdentifier }),
    database,
    ...(dbUser === undefined ? {} : { dbUser }),
    ...(secretArn === undefined ? {} : { secretArn }),
    pollIntervalMs: Math.round(pollS * 1000),
  };
}
