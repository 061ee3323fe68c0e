import { configString } from './configString.js';

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/**
 * Checks an optional IAM role field (`RoleARN`, a processor's `RoleArn`): accepted and not used, since
 * credentials come from the AWS SDK's chain, but it must be a role ARN, as the Firehose API requires.
 *
 * ## Example
 * ```ts
 * configRoleArn(config.RoleARN, 'ExtendedS3DestinationConfiguration.RoleARN');
 * ```
 */
export function configRoleArn(value: unknown, field: string): void {
  configString(value, field, {
    minLength: 1,
    maxLength: 512,
    pattern: ROLE_ARN,
    description: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  });
}
