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
 */
export interface KinesisReadClient {
  send(command: ListShardsCommand, options?: KinesisSendOptions): Promise<ListShardsCommandOutput>;
  send(command: GetShardIteratorCommand, options?: KinesisSendOptions): Promise<GetShardIteratorCommandOutput>;
  send(command: GetRecordsCommand, options?: KinesisSendOptions): Promise<GetRecordsCommandOutput>;
}
