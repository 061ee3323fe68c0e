import type { ConfigContext } from './ConfigContext.js';
import type { DestinationPlan } from './DestinationPlan.js';
import { extendedS3DestinationFromConfig } from './extendedS3DestinationFromConfig.js';
import { httpEndpointDestinationFromConfig } from './httpEndpointDestinationFromConfig.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { openSearchDestinationFromConfig } from './openSearchDestinationFromConfig.js';
import { POSTGRES_CONFIGURATION, postgresDestinationFromConfig } from './postgresDestinationFromConfig.js';
import { redshiftDestinationFromConfig } from './redshiftDestinationFromConfig.js';
import { splunkDestinationFromConfig } from './splunkDestinationFromConfig.js';

/** Destination configurations rx-firehose runs, by field. */
const SUPPORTED = [
  'ExtendedS3DestinationConfiguration',
  'S3DestinationConfiguration',
  'HttpEndpointDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'RedshiftDestinationConfiguration',
  POSTGRES_CONFIGURATION,
] as const;
/** Destination configurations Firehose defines that rx-firehose refuses by name. */
export const DESTINATIONS_NOT_YET = ['SnowflakeDestinationConfiguration', 'IcebergDestinationConfiguration'];

/**
 * Finds the one destination configuration of a `CreateDeliveryStream` input and maps it:
 * `ExtendedS3DestinationConfiguration`, `S3DestinationConfiguration`, `HttpEndpointDestinationConfiguration`, or
 * one of the OpenSearch configurations (`AmazonopensearchserviceDestinationConfiguration`,
 * `ElasticsearchDestinationConfiguration`, `AmazonOpenSearchServerlessDestinationConfiguration`), `SplunkDestinationConfiguration`,
 * `RedshiftDestinationConfiguration`, or the rx-firehose extension `RxFirehosePostgreSQLDestinationConfiguration`.
 * None, or more than one, is refused as the Firehose API refuses it.
 *
 * ## Example
 * ```ts
 * const plan = destinationFromConfig(input, ctx);
 * ```
 */
export function destinationFromConfig(input: Readonly<Record<string, unknown>>, ctx: ConfigContext): DestinationPlan {
  const given = SUPPORTED.filter((field) => input[field] !== undefined && input[field] !== null);
  if (given.length > 1)
    throw InvalidConfigurationError.invalid(
      given[1]!,
      '(a second destination)',
      `absent: a delivery stream has one destination, and ${given[0]} is given`,
    );
  switch (given[0]) {
    case 'ExtendedS3DestinationConfiguration':
      return extendedS3DestinationFromConfig(input.ExtendedS3DestinationConfiguration, 'ExtendedS3DestinationConfiguration', ctx);
    case 'S3DestinationConfiguration':
      return extendedS3DestinationFromConfig(input.S3DestinationConfiguration, 'S3DestinationConfiguration', ctx, false);
    case 'HttpEndpointDestinationConfiguration':
      return httpEndpointDestinationFromConfig(input.HttpEndpointDestinationConfiguration, 'HttpEndpointDestinationConfiguration', ctx);
    case 'AmazonopensearchserviceDestinationConfiguration':
    case 'ElasticsearchDestinationConfiguration':
    case 'AmazonOpenSearchServerlessDestinationConfiguration':
      return openSearchDestinationFromConfig(input[given[0]], given[0], ctx);
    case 'SplunkDestinationConfiguration':
      return splunkDestinationFromConfig(input.SplunkDestinationConfiguration, 'SplunkDestinationConfiguration', ctx);
    case 'RedshiftDestinationConfiguration':
      return redshiftDestinationFromConfig(input.RedshiftDestinationConfiguration, 'RedshiftDestinationConfiguration', ctx);
    case POSTGRES_CONFIGURATION:
      return postgresDestinationFromConfig(input[POSTGRES_CONFIGURATION], POSTGRES_CONFIGURATION, ctx);
    default:
      throw InvalidConfigurationError.invalid(
        'ExtendedS3DestinationConfiguration',
        undefined,
        `given: a delivery stream needs one destination (${SUPPORTED.join(', ')})`,
      );
  }
}
