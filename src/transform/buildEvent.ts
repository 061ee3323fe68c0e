import { Buffer } from 'node:buffer';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { FirehoseTransformationEvent } from './lambdaContract.js';

/**
 * The event Firehose sends for one batch: ids, stream and region, and per record its id (made unique
 * within the event when the batch repeats one), arrival time, base64 data and Kinesis metadata.
 * Returns the event and the record each event id stands for.
 */
export function buildEvent(
  records: readonly FirehoseRecord[],
  invocationId: string,
  deliveryStreamArn: string,
  region: string,
  sourceKinesisStreamArn: string | undefined,
): { event: FirehoseTransformationEvent; byId: Map<string, number> } {
  const byId = new Map<string, number>();
  const unique = new Set(records.map((r) => r.recordId)).size === records.length;
  const event: FirehoseTransformationEvent = {
    invocationId,
    deliveryStreamArn,
    ...(sourceKinesisStreamArn === undefined ? {} : { sourceKinesisStreamArn }),
    region,
    records: records.map((record, index) => {
      const recordId = unique ? record.recordId : `${index}:${record.recordId}`;
      byId.set(recordId, index);
      const k = record.kinesisRecordMetadata;
      return {
        recordId,
        approximateArrivalTimestamp: record.approximateArrivalTimestamp,
        data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('base64'),
        ...(k === undefined
          ? {}
          : {
              kinesisRecordMetadata: {
                shardId: k.shardId,
                partitionKey: k.partitionKey,
                approximateArrivalTimestamp: k.approximateArrivalTimestamp,
                sequenceNumber: k.sequenceNumber,
                subsequenceNumber: k.subsequenceNumber,
              },
            }),
      };
    }),
  };
  return { event, byId };
}
