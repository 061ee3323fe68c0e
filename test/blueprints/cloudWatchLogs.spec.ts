import { Buffer } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cloudWatchLogsProcessor, cloudWatchLogsToMessages } from '../../src/blueprints/index.js';
import { runBlueprint } from './support.js';

// Subscription payloads as CloudWatch Logs builds them for a subscription filter to Firehose: JSON, gzipped.
const payload = (messages: string[], messageType = 'DATA_MESSAGE') =>
  gzipSync(
    JSON.stringify({
      messageType,
      owner: '123456789012',
      logGroup: '/aws/lambda/checkout',
      logStream: '2026/12/02/[$LATEST]0123456789abcdef',
      subscriptionFilters: ['to-firehose'],
      logEvents: messages.map((message, i) => ({ id: `3719591853843${i}`, timestamp: 1_764_676_212_000 + i, message })),
    }),
  );
const control = gzipSync(
  JSON.stringify({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [{ id: '', timestamp: 1_432_826_855_000, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
  }),
);

describe('CloudWatch Logs blueprint', () => {
  it('should turn each subscription record into its messages, one per line, drop control messages, and fail what is not a payload', async () => {
    const notGzip = Buffer.from('{"messageType":"DATA_MESSAGE"}');
    const otherType = payload(['x'], 'SOMETHING_ELSE');
    const { texts, failedRaw } = await runBlueprint(cloudWatchLogsToMessages, [
      payload(['START RequestId: 1', '{"level":"info","msg":"paid"}', 'END RequestId: 1']),
      control,
      payload(['REPORT RequestId: 2 Duration: 1.5 ms']),
      notGzip,
      otherType,
    ]);
    expect(texts).toEqual([
      'START RequestId: 1\n{"level":"info","msg":"paid"}\nEND RequestId: 1\n',
      'REPORT RequestId: 2 Duration: 1.5 ms\n',
    ]);
    expect(failedRaw).toEqual([notGzip, otherType]);
  });

  it('should split what does not fit in the response into smaller payloads to re-ingest, and lose no message', async () => {
    const messages = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i} ${'x'.repeat(40)}`);
    const reingested: Uint8Array[] = [];
    const handler = cloudWatchLogsProcessor({
      maxResponseBytes: 3_000,
      maxReingestedBytes: 500,
      reingest: async (records) => void reingested.push(...records),
    });
    const first = await runBlueprint(handler, [payload(messages(20, 'a')), payload(messages(60, 'b')), payload(messages(5, 'c'))]);
    // a (about 1.3 KB in base64) fits; b does not and is re-ingested; c still fits after it.
    expect(
      first.texts
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((m) => m.split(' ')[0]),
    ).toEqual([...messages(20, 'a'), ...messages(5, 'c')].map((m) => m.split(' ')[0]));
    expect(reingested.length).toBeGreaterThan(1);
    for (const r of reingested) {
      const part = JSON.parse(gunzipSync(r).toString('utf8'));
      expect(part).toMatchObject({ messageType: 'DATA_MESSAGE', logGroup: '/aws/lambda/checkout' });
      expect(part.logEvents.reduce((n: number, e: { message: string }) => n + Buffer.byteLength(e.message) + 1, 0)).toBeLessThanOrEqual(
        500,
      );
    }
    // Processed again (as they come back through the stream), the parts give every message of b, in order.
    const again = await runBlueprint(cloudWatchLogsToMessages, reingested);
    expect(again.texts.join('')).toBe(
      messages(60, 'b')
        .map((m) => `${m}\n`)
        .join(''),
    );
    expect(first.failures).toEqual([]);
  });

  it('should fail what does not fit when nothing re-ingests, keeping the record whole in the error output', async () => {
    const big = payload(Array.from({ length: 100 }, (_, i) => `m${i} ${'y'.repeat(50)}`));
    const { texts, failedRaw } = await runBlueprint(cloudWatchLogsProcessor({ maxResponseBytes: 2_000 }), [payload(['small']), big]);
    expect(texts).toEqual(['small\n']);
    expect(failedRaw).toEqual([big]);
  });
});
