import { checkFields } from './checkFields.js';
import { configString } from './configString.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/**
 * Checks `CloudWatchLoggingOptions` (`Enabled`, `LogGroupName`, `LogStreamName`). Accepted and not used:
 * rx-firehose reports errors in its results and progress output, not in CloudWatch Logs.
 *
 * ## Example
 * ```ts
 * configLoggingOptions(config.CloudWatchLoggingOptions, 'ExtendedS3DestinationConfiguration.CloudWatchLoggingOptions');
 * ```
 */
export function configLoggingOptions(config: unknown, path: string): void {
  if (config === undefined || config === null) return;
  const fields = checkFields(config, path, { supported: ['Enabled', 'LogGroupName', 'LogStreamName'] });
  if (fields.Enabled !== undefined && typeof fields.Enabled !== 'boolean')
    throw InvalidConfigurationError.invalid(`${path}.Enabled`, fields.Enabled, 'true or false');
  configString(fields.LogGroupName, `${path}.LogGroupName`, { maxLength: 512, description: 'a string of at most 512 characters' });
  configString(fields.LogStreamName, `${path}.LogStreamName`, { maxLength: 512, description: 'a string of at most 512 characters' });
}
