import type { FirehoseRecord, KinesisRecordMetadata } from '../../records/FirehoseRecord.js';
import { SlotRecord, type SlotOwner } from '../../settlement/SlotRecord.js';

/**
 * A record of `fromKinesisStream`: a {@link SlotRecord} (its settlement is slot `slot` of its shard's
 * checkpoint tracker, in private fields) that also carries where it came from. Every record of the source has
 * this one shape: four own fields, set in the constructor.
 */
export class KinesisRecord extends SlotRecord implements FirehoseRecord {
  readonly kinesisRecordMetadata: KinesisRecordMetadata;

  constructor(recordId: string, data: Uint8Array, metadata: KinesisRecordMetadata, owner: SlotOwner, slot: number) {
    super(recordId, data, metadata.approximateArrivalTimestamp, owner, slot);
    this.kinesisRecordMetadata = metadata;
  }
}
