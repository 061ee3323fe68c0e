import type { DeliveryErrorKind } from '../../destinations/Destination.js';
import { codeOf, isRegionError } from './KinesisSourceError.js';

/**
 * How the source reacts to an error from Kinesis or a checkpoint store:
 * - `throttled`: over a limit; back off and retry (counted in `ThrottledGetRecords` for GetRecords);
 * - `expired-iterator`: the shard iterator is older than 5 minutes; get a new one from the last record read;
 * - `permanent`: retrying cannot help (deleted stream, missing permission); end with `KinesisSourceError`;
 * - `transient`: anything else (network, server errors, a stream being updated); back off and retry forever.
 */
export type ErrorKind = DeliveryErrorKind | 'expired-iterator';

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottledException',
]);

const PERMANENT = new Set([
  // an optional peer dependency (the AWS SDK client) is not installed
  'MissingPeerDependencyError',
  // Kinesis and DynamoDB
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidArgumentException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSNotFoundException',
  'KMSInvalidStateException',
  'KMSOptInRequired',
  // credentials and signatures
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  // file system (the file checkpoint store)
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'EISDIR',
  'ECHECKPOINTFILE',
]);

/**
 * Classifies an error by its name (or Node.js code), and the SDK's `$retryable.throttling` flag. The SDK's
 * `Region is missing` and `Region not accepted` (a client without a valid region) are permanent too. Missing
 * credentials (`CredentialsProviderError`) are not: an instance's metadata service may answer later.
 */
export function errorKindOf(err: unknown): ErrorKind {
  if (isRegionError(err)) return 'permanent';
  const code = codeOf(err);
  if (code === 'ExpiredIteratorException') return 'expired-iterator';
  if (THROTTLES.has(code) || (err as { $retryable?: { throttling?: boolean } } | null)?.$retryable?.throttling === true) return 'throttled';
  if (PERMANENT.has(code)) return 'permanent';
  return 'transient';
}
