/** Why a record's partition keys could not be put into its key prefix. */
export type PartitionKeyProblem = 'missing' | 'not-a-string' | 'too-long' | 'unsafe-path';

/** The two ways Firehose gets partition keys: a JQ query over the record, or the Lambda's `metadata.partitionKeys`. */
export type PartitionKeyNamespace = 'partitionKeyFromQuery' | 'partitionKeyFromLambda';

/**
 * Thrown when a key prefix with `!{partitionKeyFromQuery:…}` or `!{partitionKeyFromLambda:…}` cannot be
 * rendered for a record: a key the prefix uses has no value, a value is not a string, a value could take the key
 * out of its prefix (`unsafe-path`: a leading `/` or `\\`, a `.` or `..` segment, empty where the prefix begins with it), or the values make the evaluated
 * prefix longer than Firehose's 512 characters.
 *
 * Firehose sends such records to the error output instead of the destination; so should the caller. The
 * reason and the expression are on the error as fields, so callers route on them without parsing the message.
 *
 * ## Example
 * ```ts
 * import { compilePrefix, PartitionKeyError } from 'rx-firehose';
 *
 * const layout = compilePrefix({
 *   component: 's3Destination',
 *   prefix: 'customer_id=!{partitionKeyFromQuery:customer_id}/',
 *   errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
 *   dynamicPartitioning: true,
 * });
 * try {
 *   layout.partitionIdFor({ queryPartitionKeys: {} });
 * } catch (err) {
 *   if (err instanceof PartitionKeyError) console.log(err.reason, err.key); // 'missing' 'customer_id'
 * }
 * ```
 */
export class PartitionKeyError extends Error {
  override readonly name = 'PartitionKeyError';

  constructor(
    /** The component whose key layout refused the record, e.g. `s3Destination`. */
    readonly component: string,
    /** What went wrong. */
    readonly reason: PartitionKeyProblem,
    /** Where the key comes from; `undefined` for `too-long`, which no single key causes. */
    readonly namespace: PartitionKeyNamespace | undefined,
    /** The partition key's name; `undefined` for `too-long`. */
    readonly key: string | undefined,
    message: string,
  ) {
    super(`${component}: ${message}`);
  }
}
