import { Buffer } from 'node:buffer';
import { DeliveryError } from '../destinations/DeliveryError.js';
import type { FirehoseTransformationStatus } from './lambdaContract.js';

/** One input record's outcome, by its index in the batch. */
export interface RecordOutcome {
  readonly result: FirehoseTransformationStatus;
  /** Decoded bytes, for `Ok`. */
  readonly data?: Uint8Array | undefined;
  readonly partitionKeys?: Readonly<Record<string, string>> | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);

/**
 * Checks a transformation's response against Firehose's contract and returns each input record's
 * outcome, in input order. A response that breaks the contract throws a retriable {@link DeliveryError}
 * with Firehose's code: `Lambda.JsonProcessingException` (not JSON, no `records` array, a record that is not
 * an object, an unknown `result`, `data` that is missing for `Ok` or not base64, bad `metadata`),
 * `Lambda.DuplicatedRecordId`, `Lambda.MissingRecordId` (an input id not answered, or an id that was not in
 * the input).
 */
export function validateResponse(response: unknown, byId: ReadonlyMap<string, number>): RecordOutcome[] {
  const fail = (code: string, message: string): never => {
    throw new DeliveryError(`Lambda.${code}`, message);
  };
  let parsed = response;
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) {
    const text = typeof parsed === 'string' ? parsed : Buffer.from(parsed).toString('utf8');
    try {
      parsed = JSON.parse(text);
    } catch {
      fail('JsonProcessingException', `the response is not JSON: ${text.slice(0, 200)}`);
    }
  }
  const records = (parsed as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) fail('JsonProcessingException', 'the response has no "records" array');
  const outcomes = new Array<RecordOutcome | undefined>(byId.size);
  for (const item of records as unknown[]) {
    if (typeof item !== 'object' || item === null) fail('JsonProcessingException', 'a response record is not an object');
    const { recordId, result, data, metadata } = item as Record<string, unknown>;
    if (typeof recordId !== 'string') fail('JsonProcessingException', 'a response record has no string "recordId"');
    const index = byId.get(recordId as string);
    if (index === undefined) fail('MissingRecordId', `the response has record id ${JSON.stringify(recordId)}, which was not in the input`);
    if (outcomes[index!] !== undefined) fail('DuplicatedRecordId', `the response has record id ${JSON.stringify(recordId)} more than once`);
    if (typeof result !== 'string' || !RESULTS.has(result)) {
      fail(
        'JsonProcessingException',
        `record ${JSON.stringify(recordId)} has result ${JSON.stringify(result)}; expected Ok, Dropped or ProcessingFailed`,
      );
    }
    let bytes: Uint8Array | undefined;
    if (result === 'Ok') {
      if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) {
        fail(
          'JsonProcessingException',
          `record ${JSON.stringify(recordId)} is Ok but its data is ${typeof data === 'string' ? 'not valid base64' : 'missing'}`,
        );
      }
      const decoded = Buffer.from(data as string, 'base64');
      bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
    }
    let partitionKeys: Record<string, string> | undefined;
    if (metadata !== undefined && metadata !== null) {
      const keys = (metadata as { partitionKeys?: unknown }).partitionKeys;
      if (keys !== undefined && (typeof keys !== 'object' || keys === null || Object.values(keys).some((v) => typeof v !== 'string'))) {
        fail('JsonProcessingException', `record ${JSON.stringify(recordId)} has metadata.partitionKeys that are not string values`);
      }
      if (keys !== undefined) partitionKeys = { ...(keys as Record<string, string>) };
    }
    outcomes[index!] = {
      result: result as FirehoseTransformationStatus,
      ...(bytes === undefined ? {} : { data: bytes }),
      ...(partitionKeys === undefined ? {} : { partitionKeys }),
    };
  }
  const missing = [...byId].find(([, i]) => outcomes[i] === undefined);
  if (missing !== undefined) fail('MissingRecordId', `the response has no record for record id ${JSON.stringify(missing[0])}`);
  return outcomes as RecordOutcome[];
}
