/** Lambda's limit on a synchronous invocation's request and response: 6 MB. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6_291_456;

/**
 * An upper bound of the bytes a record adds to an event's JSON: its base64 data, its id, and the fixed
 * keys and numbers (with Kinesis metadata when present).
 */
export function invocationPayloadBytes(record: { recordId: string; data: Uint8Array; kinesisRecordMetadata?: unknown }): number {
  const base64 = 4 * Math.ceil(record.data.byteLength / 3);
  return base64 + record.recordId.length * 2 + 96 + (record.kinesisRecordMetadata === undefined ? 0 : 320);
}
