import type { FirehoseTransformationHandler } from 'aws-lambda';

/**
 * A blueprint-style Firehose transformation, deployable to AWS Lambda as it is and runnable in-process by
 * rx-firehose's `transformWithLambda`: each record is a JSON line; heartbeats are dropped, lines that are
 * not JSON are marked ProcessingFailed, the rest are enriched (a `level` in upper case, the processing
 * time) and re-emitted as newline-delimited JSON with a `customer` partition key for dynamic partitioning.
 */
export const handler: FirehoseTransformationHandler = async (event) => ({
  records: event.records.map((record) => {
    const text = Buffer.from(record.data, 'base64').toString('utf8').trim();
    let parsed: { type?: string; level?: string; customer?: string } & Record<string, unknown>;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
    if (parsed.type === 'heartbeat') return { recordId: record.recordId, result: 'Dropped', data: record.data };
    const enriched = {
      ...parsed,
      level: String(parsed.level ?? 'info').toUpperCase(),
      processedAt: event.records[0]!.approximateArrivalTimestamp,
    };
    return {
      recordId: record.recordId,
      result: 'Ok',
      data: Buffer.from(JSON.stringify(enriched) + '\n').toString('base64'),
      metadata: { partitionKeys: { customer: String(parsed.customer ?? 'unknown') } },
    };
  }),
});
