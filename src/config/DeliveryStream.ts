import type { Observable, SchedulerLike } from 'rxjs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GlueClient } from '@aws-sdk/client-glue';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { S3Client } from '@aws-sdk/client-s3';
import type { InvalidConfigurationError } from './InvalidConfigurationError.js';
import type { DeliveryResult } from '../delivery/DeliveryResult.js';
import type { DescribeDomainClient, OpenSearchBasicAuth, OpenSearchSigV4Auth } from '../destinations/opensearch/options.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { LeaseWorkerOptions } from '../sources/kinesis/leases/checkLeaseWorkerOptions.js';
import type { StartingPosition } from '../sources/kinesis/shardTracker.js';
import type { LocalTransformation } from '../transform/lambdaContract.js';

/** Where the parts of a delivery stream are: the local data directory, AWS endpoints or clients, local Lambda handlers. */
export interface DeliveryStreamEnvironment {
  /** The local data directory. Default `./firehose-data`. Without S3, bucket `arn:aws:s3:::b` is `<dataDir>/b/`; Kinesis checkpoints go to `<dataDir>/_checkpoints/`. */
  readonly dataDir?: string | undefined;
  /** The records of a `DirectPut` stream (records may carry settlements). The stream completes when this completes. Default: none (the stream completes at once). */
  readonly records?: Observable<FirehoseRecord> | undefined;
  /** An S3 client: buckets are written to S3 instead of `<dataDir>`. */
  readonly s3Client?: S3Client | undefined;
  /** A Kinesis client for `KinesisStreamAsSource`. Default: one built from `endpoints.kinesis` and the SDK's chain. */
  readonly kinesisClient?: KinesisClient | undefined;
  /** A Lambda client for Lambda processors whose function has no local handler. Default: one built from `endpoints.lambda` and the SDK's chain. */
  readonly lambdaClient?: LambdaClient | undefined;
  /** A DynamoDB client: Kinesis checkpoints go to the DynamoDB table `checkpointTable` instead of `<dataDir>`. */
  readonly dynamoDbClient?: DynamoDBClient | undefined;
  /** A Redshift Data API client, for a Redshift destination with `RxFirehoseDataApiConfiguration`. Default: one built from `endpoints.redshiftData` and the SDK's chain. */
  readonly redshiftDataClient?: Pick<RedshiftDataClient, 'send'> | undefined;
  /** A Glue client, to read the table of a `DataFormatConversionConfiguration.SchemaConfiguration` (`GetTable`, `GetTableVersion`). Default: one built from `endpoints.glue` and the SDK's chain, in the configuration's `Region`. */
  readonly glueClient?: GlueClient | undefined;
  /** An OpenSearch control-plane client, to resolve a `DomainARN` with `DescribeDomain`. Default: one built from `endpoints.opensearch` and the SDK's chain, in the ARN's region. */
  readonly openSearchClient?: DescribeDomainClient | undefined;
  /**
   * How OpenSearch destinations authenticate to the cluster. Default: SigV4 with the SDK's credential chain for a
   * `DomainARN`, a Serverless collection and any `*.es.amazonaws.com` / `*.aoss.amazonaws.com` endpoint; none for
   * other endpoints (a self-managed or local cluster).
   */
  readonly openSearchAuth?: OpenSearchSigV4Auth | OpenSearchBasicAuth | 'none' | undefined;
  /** Endpoints for clients built here (credentials and region come from the AWS SDK's usual chain). An S3 endpoint sends buckets to S3; a DynamoDB endpoint sends checkpoints to DynamoDB. */
  readonly endpoints?:
    | {
        readonly s3?: string;
        readonly kinesis?: string;
        readonly lambda?: string;
        readonly dynamodb?: string;
        readonly opensearch?: string;
        readonly redshiftData?: string;
        readonly glue?: string;
      }
    | undefined;
  /** Local transformation handlers by function name or ARN: a Lambda processor whose `LambdaArn` (or its function name) is here runs it in this process instead of invoking Lambda. */
  readonly lambdaHandlers?: Readonly<Record<string, LocalTransformation>> | undefined;
  /** Receives every metric, with Firehose's names (`IncomingRecords`, `DeliveryToS3.Records`, …). */
  readonly metrics?: MetricSink | undefined;
  /** Where buffers, retries and polling wait. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** The region in the stream's ARN and in Lambda events, and of clients built here. Default: the SDK's chain for clients, `us-east-1` for the ARN. */
  readonly region?: string | undefined;
  /** The account in the stream's ARN: 12 digits. Default `000000000000`. */
  readonly accountId?: string | undefined;
  /** The DynamoDB table of Kinesis checkpoints (created when missing). Default `rx-firehose-checkpoints`. */
  readonly checkpointTable?: string | undefined;
  /** Where a Kinesis shard without a checkpoint starts. Default `LATEST`, as Firehose. */
  readonly kinesisStartingPosition?: StartingPosition | undefined;
  /**
   * This process's part in the Kinesis shard leases (with a DynamoDB client only): `workerId`, `leaseDurationMs`,
   * `renewalIntervalMs`, `balanceIntervalMs`, `maxLeasesPerWorker`, as `dynamoDbLeases` takes them. Default the KCL's.
   */
  readonly kinesisLeases?: LeaseWorkerOptions | undefined;
  /**
   * Told what is going wrong while it lasts and is retried rather than failed, one message per failed attempt:
   * a Kinesis source whose calls keep failing (unreachable endpoint, credentials not loaded), a destination whose
   * sends fail (`deliverTo`'s `onAttemptFailed`). The CLI prints them on stderr. Default: nobody.
   */
  readonly warn?: ((message: string) => void) | undefined;
}

/** One delivery result of a delivery stream: of its destination, or of its source record backup. */
export interface DeliveryStreamResult extends DeliveryResult<FirehoseRecord> {
  readonly stage: 'destination' | 'backup';
}

/** What a delivery stream did, when it ended. */
export interface DeliveryStreamSummary {
  readonly name: string;
  /** Records that entered the stream (`IncomingRecords`), and their bytes. */
  readonly incomingRecords: number;
  readonly incomingBytes: number;
  /** Records the destination acknowledged, their bytes, and the batches that carried them. */
  readonly deliveredRecords: number;
  readonly deliveredBytes: number;
  readonly deliveredBatches: number;
  /** Failure records written to an error output (processing-failed, http-endpoint-failed, …). */
  readonly errorOutputRecords: number;
  /** Records delivered to the source record backup. */
  readonly backupRecords: number;
  /** From start to end, on the stream's scheduler. */
  readonly durationMs: number;
  /** Set when the pipeline ended with an error (a source that failed, records that reached no error output). */
  readonly error?: unknown;
}

/** A running delivery stream, made by {@link deliveryStreamFromConfig}. */
export interface DeliveryStream {
  readonly name: string;
  readonly arn: string;
  /** One sentence: source → processing → destination, for progress output. */
  readonly description: string;
  /**
   * Resolves when the configuration's asynchronous checks passed (a Glue table's schema read, jq queries
   * compiled; at once when there are none); rejects with an {@link InvalidConfigurationError} naming the
   * field. The stream reads no record before; when it rejects, `done` resolves with it as `summary.error`.
   */
  readonly loaded: Promise<void>;
  /** Every delivery result, as it happens (hot, shared: subscribe right after creating the stream). */
  readonly results: Observable<DeliveryStreamResult>;
  /** Resolves when the pipeline ended: its source completed and everything was drained (`summary.error` says if it failed). Never rejects. */
  readonly done: Promise<DeliveryStreamSummary>;
  /** Stops reading (the Kinesis source it owns, or `environment.records`), drains what was read, saves checkpoints, and resolves like `done`. */
  stop(): Promise<DeliveryStreamSummary>;
}
