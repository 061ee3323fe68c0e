// Firehose data-transformation Lambda handlers for tests, run by serverless-offline
// (see serverless.yml next to this file and ../lambda.ts). Plain ESM JavaScript so that
// no build step is needed.
//
// Event:    { invocationId, deliveryStreamArn, region,
//             records: [{ recordId, approximateArrivalTimestamp, data /* base64 */ }] }
// Response: { records: [{ recordId, result: 'Ok' | 'Dropped' | 'ProcessingFailed', data /* base64 */,
//             metadata?: { partitionKeys: { ... } } }] }

/** @typedef {{ recordId: string, approximateArrivalTimestamp: number, data: string }} InputRecord */
/** @typedef {{ invocationId: string, deliveryStreamArn: string, region: string, records: InputRecord[] }} FirehoseEvent */
/** @typedef {{ recordId: string, result: 'Ok' | 'Dropped' | 'ProcessingFailed', data: string, metadata?: { partitionKeys: Record<string, string> } }} OutputRecord */

/**
 * Each record's data is one UTF-8 JSON value (a trailing newline is allowed).
 * `"drop": true` -> Dropped, `"fail": true` -> ProcessingFailed (data passed back unchanged),
 * otherwise Ok with the JSON plus `"transformed": true` and a trailing `\n`, partition key
 * `customer` = json.customer ?? 'none'. Data that is not JSON -> ProcessingFailed.
 * @param {FirehoseEvent} event
 * @returns {Promise<{ records: OutputRecord[] }>}
 */
export const transform = async (event) => ({
  records: event.records.map((record) => {
    let json;
    try {
      json = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
    } catch {
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
    if (json.drop === true) return { recordId: record.recordId, result: 'Dropped', data: record.data };
    if (json.fail === true) return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    const out = { ...json, transformed: true };
    return {
      recordId: record.recordId,
      result: 'Ok',
      data: Buffer.from(`${JSON.stringify(out)}\n`, 'utf8').toString('base64'),
      metadata: { partitionKeys: { customer: String(json.customer ?? 'none') } },
    };
  }),
});

/** Always throws: the Invoke API answers with FunctionError 'Unhandled'. */
export const crash = async (event) => {
  throw new Error(`crash handler invoked with ${event?.records?.length ?? 0} records`);
};

/** Waits 3 s; its configured timeout is 1 s: the invocation times out. */
export const slow = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  return { records: (event?.records ?? []).map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) };
};

/** Breaks the contract: an unknown recordId, invalid base64, the input records missing. */
export const malformed = async () => ({
  records: [{ recordId: 'not-an-input-id', result: 'Ok', data: '!!!' }],
});

/** Every record Ok, unchanged. Fast: used as the readiness probe. */
export const echo = async (event) => ({
  records: (event?.records ?? []).map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
});
