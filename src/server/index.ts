export { DeliveryStreamRegistry } from './DeliveryStreamRegistry.js';
export type { DeliveryStreamRegistryOptions, Tag } from './DeliveryStreamRegistry.js';
export { firehoseApiListener } from './firehoseApiListener.js';
export type { FirehoseApiListenerOptions } from './firehoseApiListener.js';
export { openDeliveryStream } from './openDeliveryStream.js';
export type { DirectPutDeliveryStream, OpenDeliveryStreamOptions, PipelineFactory } from './openDeliveryStream.js';
export type { DeliveryStreamDescription } from './describeDeliveryStream.js';
