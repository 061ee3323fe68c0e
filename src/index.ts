// Operators (also at 'rx-firehose/operators').
export * from '../operators/index.js';

// Records.
export type { FirehoseRecord, KinesisRecordMetadata } from './records/FirehoseRecord.js';
export { toRecords } from './records/toRecords.js';
export type { ToRecordsOptions } from './records/toRecords.js';
export { byteSizeOf } from './records/byteSizeOf.js';

// Settlement.
export { Settlement } from './settlement/Settlement.js';
export type { SettlementOutcome } from './settlement/Settlement.js';
export { attachSettlement, settlementOf } from './settlement/sideTable.js';
export { settleRecord } from './settlement/settleRecord.js';
export { carrySettlement } from './settlement/carrySettlement.js';
export { LostSettlementError } from './settlement/LostSettlementError.js';
export { SettlementStallError } from './settlement/SettlementStallError.js';
export { DEFAULT_STALL_TIMEOUT_MS } from './settlement/StallWatchdog.js';
export type { StallAction, StallOptions } from './settlement/StallWatchdog.js';

// Delivery.
export type {
  Accepted,
  BuildContext,
  BuiltRequest,
  DeliveryAck,
  DeliveryAttempt,
  DeliveryErrorKind,
  DeliveryRequest,
  Destination,
  ErrorOutput,
  FailureRecord,
  ItemFailure,
  PartiallyAccepted,
  SendOutcome,
} from './destinations/Destination.js';
export { DeliveryError } from './destinations/DeliveryError.js';
export { errorKindOf } from './destinations/errorKindOf.js';
export { dataOf } from './records/dataOf.js';
export type { DeliveryResult } from './delivery/DeliveryResult.js';
export type { DeliveryOptions } from './delivery/batchDelivery.js';
export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_ACKS,
  DEFAULT_RETRY_DURATION_MS,
  MAX_RETRY_DURATION_MS,
} from './delivery/batchDelivery.js';
export { UndeliverableRecordsError } from './delivery/UndeliverableRecordsError.js';
export { FIREHOSE_BACKOFF } from './retry/backoffDelayMs.js';
export type { Backoff } from './retry/backoffDelayMs.js';
export type { MetricSink, MetricUnit } from './metrics/MetricSink.js';

// Transformation (Firehose's Lambda contract).
export type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationRecordMetadata,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  FirehoseTransformationStatus,
  LocalTransformation,
  TransformationCallback,
  TransformationContext,
} from './transform/lambdaContract.js';
export type { LambdaFunction, LambdaInvokeClient } from './transform/invokeLambda.js';
export { LAMBDA_PAYLOAD_LIMIT_BYTES } from './transform/invocationPayloadBytes.js';

// Sources.
export { fromLines } from './sources/lines/fromLines.js';
export type { FromLinesOptions } from './sources/lines/fromLines.js';
export { linesIn } from './sources/lines/linesIn.js';
export type { InFlightBudget } from './sources/InFlightBudget.js';

// Direct PUT source: Firehose's PutRecord/PutRecordBatch in process, with a write-ahead log.
export * from './sources/directPut/index.js';
// Firehose's API server (rx-firehose serve) and delivery streams with the put API in process.
export * from './server/index.js';

// Kinesis Data Streams source.
export * from './sources/kinesis/index.js';

// Destinations.
export { directoryDestination } from './destinations/directory/index.js';
export type { DirectoryDestinationOptions } from './destinations/directory/index.js';
export { s3Destination } from './destinations/s3/index.js';
export type { S3DestinationOptions, S3SendOptions, S3WriteClient } from './destinations/s3/index.js';
export type { ObjectStoreOptions } from './destinations/objectStore/objectStoreOptions.js';

// HTTP endpoint: Firehose's delivery protocol, both ends.
export { httpEndpointDestination, HTTP_ENDPOINT_BUFFERING } from './destinations/http/index.js';
export type { HttpEndpointDestination, HttpEndpointDestinationOptions } from './destinations/http/index.js';
export { splunkHecDestination, SPLUNK_BUFFERING, SPLUNK_ERROR_MESSAGES } from './destinations/splunk/index.js';
export type {
  SplunkHecDestination,
  SplunkHecDestinationOptions,
  HecEndpointType,
  HecEventMetadata,
  HecRequest,
  HecTransport,
  HecHttpRequest,
  HecHttpResponse,
} from './destinations/splunk/index.js';
export { httpEndpointListener, DEFAULT_MAX_BODY_BYTES } from './receivers/http/index.js';
export type {
  HttpEndpointHandler,
  HttpEndpointListenerOptions,
  HttpEndpointRecord,
  HttpEndpointRequestListener,
  HttpEndpointRequestMeta,
} from './receivers/http/index.js';

// OpenSearch (and Elasticsearch, OpenSearch Serverless): Firehose's bulk indexing.
export { openSearchDestination, OPENSEARCH_BUFFERING } from './destinations/opensearch/index.js';
export type {
  BulkRequest,
  DocumentIdFormat,
  DocumentTarget,
  IndexRotationPeriod,
  OpenSearchBackupMode,
  OpenSearchBasicAuth,
  OpenSearchDestination,
  OpenSearchDestinationOptions,
  OpenSearchFlavour,
  OpenSearchSigV4Auth,
} from './destinations/opensearch/index.js';
export { rotatedIndexName } from './destinations/opensearch/rotatedIndexName.js';
export { firehoseDocumentId } from './destinations/opensearch/firehoseDocumentId.js';

// PostgreSQL (COPY FROM STDIN, one transaction per batch) and Redshift (S3 staging, manifest, COPY).
export { postgresDestination } from './destinations/postgres/index.js';
export type { CopyRequest, PostgresDestinationOptions, PostgresPool, PostgresPoolClient } from './destinations/postgres/index.js';
export { redshiftDestination } from './destinations/redshift/index.js';
export type {
  CopyManifestRequest,
  RedshiftDataApiOptions,
  RedshiftDestinationOptions,
  RedshiftStagingOptions,
  StagingRequest,
} from './destinations/redshift/index.js';

// Object keys and compression (Firehose's S3 layout).
export { PartitionKeyError, type PartitionKeyNamespace, type PartitionKeyProblem } from './keys/PartitionKeyError.js';
export { decompress } from './codecs/decompress.js';
export type { Compression } from './codecs/compression.js';

// Errors.
export { InvalidOptionError } from './errors/InvalidOptionError.js';
export { MissingPeerDependencyError } from './errors/MissingPeerDependencyError.js';

// Delivery streams from Firehose's own configuration (CreateDeliveryStream input).
export { deliveryStreamFromConfig } from './config/deliveryStreamFromConfig.js';
export { planDeliveryStream } from './config/planDeliveryStream.js';
export type { DeliveryStreamPlan } from './config/planDeliveryStream.js';
export { sourceBudgetFor } from './config/sourceBudgetFor.js';
export { InvalidConfigurationError } from './config/InvalidConfigurationError.js';
export type { DeliveryStream, DeliveryStreamEnvironment, DeliveryStreamResult, DeliveryStreamSummary } from './config/DeliveryStream.js';

// Record format conversion: JSON records to Parquet objects.
export * from './processing/parquet/index.js';
