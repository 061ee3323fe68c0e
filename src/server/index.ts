export { DeliveryStreamRegistry, MAX_TAGS } from './DeliveryStreamRegistry.js';
export type { DeliveryStreamRegistryOptions, Tag } from './DeliveryStreamRegistry.js';
export { firehoseApiListener, DEFAULT_MAX_API_BODY_BYTES } from './firehoseApiListener.js';
export type { FirehoseApiListenerOptions } from './firehoseApiListener.js';
export { openDeliveryStream } from './openDeliveryStream.js';
export type { DirectPutDeliveryStream, OpenDeliveryStreamOptions, PipelineFactory } from './openDeliveryStream.js';
export type { DeliveryStreamDescription } from './describeDeliveryStream.js';
export { verifySigV4, MAX_CLOCK_SKEW_MS } from './verifySigV4.js';
