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
export { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_MAX_PENDING_ACKS, DEFAULT_RETRY_DURATION_MS, MAX_RETRY_DURATION_MS } from './delivery/batchDelivery.js';
export { UndeliverableRecordsError } from './delivery/UndeliverableRecordsError.js';
export { backoffDelayMs, FIREHOSE_BACKOFF } from './retry/backoffDelayMs.js';
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
export type { LambdaFunction } from './transform/invokeLambda.js';
export { LAMBDA_PAYLOAD_LIMIT_BYTES } from './transform/invocationPayloadBytes.js';

// Sources.
export { fromLines } from './sources/lines/fromLines.js';
export type { FromLinesOptions } from './sources/lines/fromLines.js';
export { InFlightBudget } from './sources/InFlightBudget.js';

// Kinesis Data Streams source.
export * from './sources/kinesis/index.js';

// Destinations.
export { directoryDestination } from './destinations/directory/index.js';
export type { DirectoryDestinationOptions } from './destinations/directory/index.js';
export { s3Destination } from './destinations/s3/index.js';
export type { S3DestinationOptions } from './destinations/s3/index.js';
export type { ObjectStoreOptions } from './destinations/objectStore/objectStoreOptions.js';

// HTTP endpoint: Firehose's delivery protocol, both ends.
export { httpEndpointDestination, HTTP_ENDPOINT_BUFFERING } from './destinations/http/index.js';
export type { HttpEndpointDestination, HttpEndpointDestinationOptions } from './destinations/http/index.js';
export { splunkHecDestination, SPLUNK_BUFFERING, SPLUNK_ERROR_MESSAGES } from './destinations/splunk/index.js';
export type { SplunkHecDestination, SplunkHecDestinationOptions, HecEndpointType, HecEventMetadata, HecRequest, HecTransport, HecHttpRequest, HecHttpResponse } from './destinations/splunk/index.js';
export { httpEndpointListener, DEFAULT_MAX_BODY_BYTES } from './receivers/http/index.js';
export type {
  HttpEndpointHandler,
  HttpEndpointListenerOptions,
  HttpEndpointRecord,
  HttpEndpointRequestListener,
  HttpEndpointRequestMeta,
} from './receivers/http/index.js';

// Object keys and compression (Firehose's S3 layout).
export * from './keys/index.js';
export { compress } from './codecs/compress.js';
export type { CompressOptions } from './codecs/compress.js';
export { decompress } from './codecs/decompress.js';
export { crc32c } from './codecs/crc32c.js';
export { COMPRESSIONS, extensionOf } from './codecs/compression.js';
export type { Compression } from './codecs/compression.js';

// Errors.
export { InvalidOptionError } from './errors/InvalidOptionError.js';

// Delivery streams from Firehose's own configuration (CreateDeliveryStream input).
export { deliveryStreamFromConfig } from './config/deliveryStreamFromConfig.js';
export { InvalidConfigurationError } from './config/InvalidConfigurationError.js';
export type { DeliveryStream, DeliveryStreamEnvironment, DeliveryStreamResult, DeliveryStreamSummary } from './config/DeliveryStream.js';
