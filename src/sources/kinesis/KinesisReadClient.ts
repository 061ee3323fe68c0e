import type {
  GetRecordsCommand,
  GetRecordsCommandOutput,
  GetShardIteratorCommand,
  GetShardIteratorCommandOutput,
  ListShardsCommand,
  ListShardsCommandOutput,
} from '@aws-sdk/client-kinesis';

/** Options passed with each call: the source aborts its requests in flight when it stops. */
export interface KinesisSendOptions {
  readonly abortSignal?: AbortSignal;
}

/**
 * The three Kinesis calls `fromKinesisStream` makes. A `KinesisClient` from `@aws-sdk/client-kinesis` fits
 * (the caller builds and configures it: region, credentials, retries, HTTP handler).
 *
 * Each GetRecords response becomes the source's: it empties the response's `Records` array as it emits them
 * (so that they can be collected while the rest of the page is emitted). A client of your own (a test double,
 * a replay) must return a fresh array per call, as the SDK does.
 */
export interface KinesisReadClient {
  send(command: ListShardsCommand, options?: KinesisSendOptions): Promise<ListShardsCommandOutput>;
  send(command: GetShardIteratorCommand, options?: KinesisSendOptions): Promise<GetShardIteratorCommandOutput>;
  send(command: GetRecordsCommand, options?: KinesisSendOptions): Promise<GetRecordsCommandOutput>;
}
