import type { DeliveryErrorKind } from '../../destinations/Destination.js';
import { codeOf } from './KinesisSourceError.js';

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

/** Classifies an error by its name (or Node.js code), and the SDK's `$retryable.throttling` flag. */
export function errorKindOf(err: unknown): ErrorKind {
  const code = codeOf(err);
  if (code === 'ExpiredIteratorException') return 'expired-iterator';
  if (THROTTLES.has(code) || (err as { $retryable?: { throttling?: boolean } } | null)?.$retryable?.throttling === true) return 'throttled';
  if (PERMANENT.has(code)) return 'permanent';
  return 'transient';
}
