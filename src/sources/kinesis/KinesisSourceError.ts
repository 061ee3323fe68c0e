/** What `fromKinesisStream` was doing when it failed for good. */
export type KinesisSourceOperation =
  | 'ListShards'
  | 'GetShardIterator'
  | 'GetRecords'
  | 'CheckpointStore.load'
  | 'CheckpointStore.save'
  /** Reading or writing the lease table (see `dynamoDbLeases`). */
  | 'LeaseTable';

const HINTS: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'it does not exist: was it deleted, or is the name, ARN or region wrong?',
  AccessDeniedException:
    'permission is missing: reading needs kinesis:ListShards, kinesis:GetShardIterator and kinesis:GetRecords on the stream',
  KMSAccessDeniedException: 'the stream is encrypted with a KMS key these credentials may not use (kms:Decrypt)',
  KMSDisabledException: 'the KMS key that encrypts the stream is disabled',
  KMSNotFoundException: 'the KMS key that encrypts the stream was not found',
  UnrecognizedClientException: 'the credentials are not valid',
};

/**
 * The error `fromKinesisStream` ends with when retrying cannot help: the stream was deleted, a permission is
 * missing, the credentials are invalid, or the checkpoint store refuses for good. Throttling and transient
 * errors never end the source: they are retried with backoff.
 *
 * ## Example
 * ```ts
 * import { fromKinesisStream, KinesisSourceError } from 'rx-firehose';
 *
 * fromKinesisStream({ client, streamName: 'clicks' }).subscribe({
 *   error: (err) => {
 *     if (err instanceof KinesisSourceError && err.code === 'ResourceNotFoundException') console.error('stream deleted');
 *   },
 * });
 * ```
 */
export class KinesisSourceError extends Error {
  override readonly name = 'KinesisSourceError';
  /** The underlying error's name (`ResourceNotFoundException`, `AccessDeniedException`, `EACCES`, …). */
  readonly code: string;

  constructor(
    readonly operation: KinesisSourceOperation,
    readonly streamName: string,
    readonly shardId: string | undefined,
    cause: unknown,
  ) {
    const code = codeOf(cause);
    const where = shardId === undefined ? `stream "${streamName}"` : `${shardId} of stream "${streamName}"`;
    const hint = isRegionError(cause)
      ? 'the client has no valid region: set AWS_REGION, or give the client a region'
      : operation.startsWith('CheckpointStore') || operation === 'LeaseTable'
        ? undefined
        : HINTS[code];
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`fromKinesisStream: ${operation} on ${where} failed with ${code}${hint === undefined ? '' : `; ${hint}`} (${message})`, {
      cause,
    });
    this.code = code;
  }
}

/** The AWS SDK's errors for a client without a region, or with an invalid one (plain `Error`s, known by their message). */
export function isRegionError(err: unknown): boolean {
  return err instanceof Error && (err.message === 'Region is missing' || err.message.startsWith('Region not accepted'));
}

/** An error's `name`, or its Node.js `code` for system errors. */
export function codeOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : 'Error';
}
