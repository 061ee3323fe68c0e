/**
 * The Splunk destination's options, request builder and service against the HEC test server on 127.0.0.1
 * (written from Splunk's HEC documentation; see test/support/hec/): what goes on the wire, and how HEC's
 * answers and network failures map to Firehose's error codes.
 */
import { randomUUID } from 'node:crypto';
import { asyncScheduler, firstValueFrom, from, lastValueFrom } from 'rxjs';
import SplunkLogging from 'splunk-logging';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { splunkHecDestination, type SplunkHecDestinationOptions } from '../../../src/destinations/splunk/index.js';
import { DeliveryError, InvalidOptionError, type FirehoseRecord } from '../../../src/index.js';
import { startHecTestServer, type HecTestServer } from '../../support/hec/hecTestServer.js';
import { closedPort } from '../../receivers/http/support.js';

// A token with characters that JSON and URLs escape, to catch it in any spelling.
const TOKEN = 'hec/token+"secret"=1';
const NO_ACK = 'no-ack-token';
const servers: HecTestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.stop();
});
async function hec(tokens: Record<string, object> = { [TOKEN]: {}, [NO_ACK]: { useAck: false } }): Promise<HecTestServer> {
  const s = await startHecTestServer({ tokens });
  servers.push(s);
  return s;
}
const text = (s: string) => new TextEncoder().encode(s);
const record = (data: string, i = 0): FirehoseRecord => ({
  recordId: `r${i}`,
  data: text(data),
  approximateArrivalTimestamp: 1_700_000_000_000 + i * 250,
});
const signal = new AbortController().signal;

/** Builds and sends one batch; resolves with the outcome, after its acknowledgement when it has one. */
async function sendBatch(options: SplunkHecDestinationOptions, batch: unknown[]) {
  const destination = splunkHecDestination({ ackPollIntervalMs: 100, ...options });
  const batchId = randomUUID();
  const built = destination.build(batch, { batchId, scheduler: asyncScheduler, signal });
  if (built.request === undefined) return { built, outcome: undefined };
  const outcome = await firstValueFrom(from(destination.send(built.request, { attempt: 1, batchId, scheduler: asyncScheduler, signal })));
  if (outcome.status === 'accepted' && outcome.acknowledgement !== undefined)
    await lastValueFrom(from(outcome.acknowledgement), { defaultValue: undefined });
  return { built, outcome };
}
async function sendError(options: SplunkHecDestinationOptions, batch: unknown[]): Promise<DeliveryError> {
  try {
    await sendBatch(options, batch);
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  throw new Error('the send did not fail');
}
const tokenFree = (value: unknown): void => {
  const all = JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { message: v.message, cause: v.cause, stack: v.stack } : v));
  for (const spelling of [TOKEN, JSON.stringify(TOKEN).slice(1, -1), encodeURIComponent(TOKEN)]) expect(all).not.toContain(spelling);
};

describe('splunkHecDestination: options', () => {
  const valid = { endpoint: 'https://splunk.example.com:8088', token: 'abc' };
  it.each([
    ['endpoint', { endpoint: 'ftp://x' }],
    ['endpoint', { endpoint: 'https://splunk:8088/services/collector' }],
    ['endpoint', { endpoint: 'https://user:pw@splunk:8088' }],
    ['endpointType', { endpointType: 'Json' }],
    ['token', { token: '' }],
    ['token', { token: 'line\nbreak' }],
    ['channel', { channel: 'not-a-guid' }],
    ['ackTimeoutMs', { ackTimeoutMs: 179_999 }],
    ['ackTimeoutMs', { ackTimeoutMs: 600_001 }],
    ['retryDurationMs', { retryDurationMs: -1 }],
    ['retryDurationMs', { retryDurationMs: 7_200_001 }],
    ['ackPollIntervalMs', { ackPollIntervalMs: 99 }],
    ['maxAckIdsPerQuery', { maxAckIdsPerQuery: 0 }],
    ['wrapEvents', { wrapEvents: true }],
    ['wrapEvents.index', { endpointType: 'Event', wrapEvents: { index: 3 } }],
    ['ca', { endpoint: 'http://127.0.0.1:8088', ca: 'PEM' }],
  ])('should refuse an invalid %s at construction', (option, patch) => {
    expect(() => splunkHecDestination({ ...valid, ...(patch as object) } as SplunkHecDestinationOptions)).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', option }),
    );
  });

  it('should never show the token in its error', () => {
    let err: unknown;
    try {
      splunkHecDestination({ ...valid, token: 'secret with\ttab' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(String((err as Error).message)).not.toContain('secret');
    expect(String((err as Error).message)).toContain('a string of 15 characters (not shown)');
  });

  it("should default to Firehose's values: Raw, 180 s ack timeout, 300 s retry duration, 5 MiB / 60 s buffering, a random channel", () => {
    const d = splunkHecDestination(valid);
    const e = splunkHecDestination(valid);
    expect([d.name, d.errorOutputType, d.ackTimeoutMs, d.retryDurationMs, d.recommendedBuffering]).toEqual([
      'Splunk',
      'splunk-failed',
      180_000,
      300_000,
      { maxBytes: 5_242_880, maxMs: 60_000 },
    ]);
    expect(d.channel).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(e.channel).not.toBe(d.channel);
  });
});

describe('splunkHecDestination: requests (to the HEC test server)', () => {
  it('should post a Raw batch as the records concatenated, with the token and the channel, and count it delivered when acknowledged', async () => {
    const s = await hec();
    const channel = randomUUID();
    const { outcome } = await sendBatch({ endpoint: s.endpoint, token: TOKEN, channel }, [record('a\n'), record('b'), record('c\n', 2)]);
    const [post] = s.collector.requests;
    expect(post!.url).toBe('/services/collector/raw');
    expect(post!.headers).toMatchObject({
      authorization: `Splunk ${TOKEN}`,
      'x-splunk-request-channel': channel,
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(Buffer.from(post!.body).toString()).toBe('a\nbc\n');
    // Nothing is added between records: HEC breaks "b" and "c" into one event, as with Firehose.
    expect(s.collector.indexed.map((e) => e.event)).toEqual(['a', 'bc']);
    expect(outcome).toMatchObject({ status: 'accepted', location: `${s.endpoint}/services/collector/raw?channel=${channel}#ackId=0` });
    expect(s.collector.requests.slice(1).map((r) => r.url)).toContain('/services/collector/ack');
    tokenFree(outcome);
  });

  it('should post Event records as they are (each a HEC event), as Firehose does', async () => {
    const s = await hec();
    await sendBatch({ endpoint: s.endpoint, token: TOKEN, endpointType: 'Event' }, [
      record('{"event":{"n":1},"sourcetype":"st"}'),
      record('{"event":"two","index":"main"}\n'),
    ]);
    expect(s.collector.requests[0]!.url).toBe('/services/collector/event');
    expect(s.collector.indexed.map((e) => [e.event, e.sourcetype ?? null])).toEqual([
      [{ n: 1 }, 'st'],
      ['two', null],
    ]);
  });

  it('should wrap records in the same envelope as Splunk’s own client (splunk-logging) sends', async () => {
    const ours = await hec();
    const theirs = await hec();
    const metadata = { host: 'web-1', source: 'clicks', sourcetype: '_json', index: 'main' };
    const records = [record('{"user":"ann","n":1}', 0), record('plain text', 1)];
    await sendBatch({ endpoint: ours.endpoint, token: TOKEN, endpointType: 'Event', wrapEvents: metadata }, records);

    const logger = new SplunkLogging.Logger({ token: NO_ACK, url: theirs.endpoint, maxBatchCount: 0 });
    logger.eventFormatter = (message) => message;
    logger.send({ message: { user: 'ann', n: 1 }, metadata: { ...metadata, time: records[0]!.approximateArrivalTimestamp } });
    logger.send({ message: 'plain text', metadata: { ...metadata, time: records[1]!.approximateArrivalTimestamp } });
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));

    const strip = (events: typeof ours.collector.indexed) => events.map(({ channel: _c, request: _r, ...e }) => e);
    expect(strip(ours.collector.indexed)).toEqual(strip(theirs.collector.indexed));
    expect(strip(ours.collector.indexed)).toEqual([
      {
        endpoint: 'event',
        index: 'main',
        host: 'web-1',
        source: 'clicks',
        sourcetype: '_json',
        time: 1_700_000_000,
        event: { user: 'ann', n: 1 },
      },
      {
        endpoint: 'event',
        index: 'main',
        host: 'web-1',
        source: 'clicks',
        sourcetype: '_json',
        time: 1_700_000_000.25,
        event: 'plain text',
      },
    ]);
  });

  it('should count a 200 without ackId (a token without indexer acknowledgement) as delivered at once', async () => {
    const s = await hec();
    const { outcome } = await sendBatch({ endpoint: s.endpoint, token: NO_ACK }, [record('x\n')]);
    expect(outcome).toEqual({ status: 'accepted', location: expect.stringMatching(/\/services\/collector\/raw\?channel=[0-9a-f-]{36}$/) });
    expect(s.collector.requests.map((r) => r.url)).toEqual(['/services/collector/raw']);
  });

  it('should build once: the same batch gives the same request id, and records without bytes fail for good as Splunk.InvalidDataFormat', () => {
    const d = splunkHecDestination({ endpoint: 'http://127.0.0.1:1', token: TOKEN });
    const ctx = { batchId: 'b-1', scheduler: asyncScheduler, signal };
    const a = d.build([record('x'), { nope: true }, record('y')], ctx);
    const b = d.build([record('x'), { nope: true }, record('y')], ctx);
    expect(a.request!.ids).toEqual(b.request!.ids);
    expect(a.request).toMatchObject({ items: [0, 2], bytes: 2 });
    expect(a.failed).toEqual([
      { index: 1, errorCode: 'Splunk.InvalidDataFormat', errorMessage: expect.stringContaining('cannot deliver'), retriable: false },
    ]);
  });
});

describe('splunkHecDestination: HEC answers and network failures in Firehose’s vocabulary', () => {
  it.each([
    ['an unknown token', { token: 'unknown' }, 'Splunk.InvalidToken', 'permanent', /"Invalid token" \(code 4\)/],
    ['a disabled token', { token: 'off-token' }, 'Splunk.DisabledToken', 'permanent', /"Token disabled" \(code 1\)/],
  ])('should map %s', async (_what, patch, code, kind, said) => {
    const s = await hec({ [TOKEN]: {}, 'off-token': { disabled: true } });
    const err = await sendError({ endpoint: s.endpoint, ...patch }, [record('x\n')]);
    expect([err.code, err.kind]).toEqual([code, kind]);
    expect(err.message).toMatch(said);
  });

  it('should map an index the token may not write to (code 7) and data HEC cannot read (code 6, 12) to permanent errors', async () => {
    const s = await hec({ [TOKEN]: { allowedIndexes: ['main'] } });
    const index = await sendError({ endpoint: s.endpoint, token: TOKEN, endpointType: 'Event' }, [
      record('{"event":"x","index":"secret"}'),
    ]);
    expect([index.code, index.kind]).toEqual(['Splunk.InvalidIndex', 'permanent']);
    const format = await sendError({ endpoint: s.endpoint, token: TOKEN, endpointType: 'Event' }, [
      record('{"event":"ok"}'),
      record('not json'),
    ]);
    expect([format.code, format.kind, format.message]).toEqual([
      'Splunk.InvalidDataFormat',
      'permanent',
      expect.stringContaining('invalid event number 1'),
    ]);
    const noEvent = await sendError({ endpoint: s.endpoint, token: TOKEN, endpointType: 'Event' }, [record('{"message":"x"}')]);
    expect([noEvent.code, noEvent.kind]).toEqual(['Splunk.InvalidDataFormat', 'permanent']);
  });

  it.each([
    [{ status: 503, text: 'Server is busy', code: 9 }, 'Splunk.ServerError', 'throttled'],
    [{ status: 500, text: 'Internal server error', code: 8 }, 'Splunk.ServerError', 'transient'],
    [{ status: 429, text: 'Too many requests', code: 429 }, 'Splunk.ServerError', 'throttled'],
    [{ status: 502, text: 'Bad gateway', code: 502 }, 'Splunk.ServerError', 'transient'],
    [{ status: 413, text: 'Content too large', code: 413 }, 'Splunk.PayloadTooLarge', 'permanent'],
  ])('should map %j', async (answer, code, kind) => {
    const s = await hec();
    s.collector.failNext(1, answer);
    const err = await sendError({ endpoint: s.endpoint, token: TOKEN }, [record('x\n')]);
    expect([err.code, err.kind]).toEqual([code, kind]);
  });

  it('should map a refused connection to Splunk.InvalidEndpoint and a cut one to Splunk.ConnectionClosed, both retriable', async () => {
    const refused = await sendError({ endpoint: `http://127.0.0.1:${await closedPort()}`, token: TOKEN }, [record('x\n')]);
    expect([refused.code, refused.kind]).toEqual(['Splunk.InvalidEndpoint', 'transient']);
    const s = await hec();
    const { createServer } = await import('node:http');
    const cutting = createServer((req) => req.socket.destroy());
    const { listenOnLoopback } = await import('../../support/listenOnLoopback.js');
    const lb = await listenOnLoopback(cutting);
    try {
      const cut = await sendError({ endpoint: lb.endpoint, token: TOKEN }, [record('x\n')]);
      expect([cut.code, cut.kind]).toEqual(['Splunk.ConnectionClosed', 'transient']);
      tokenFree(cut);
    } finally {
      await lb.stop();
    }
    expect(s.collector.requests).toEqual([]);
  });

  it('should time a silent HEC out as Splunk.ConnectionTimeout after requestTimeoutMs, on the pipeline’s scheduler (virtual time)', async () => {
    const { createServer } = await import('node:http');
    const { listenOnLoopback } = await import('../../support/listenOnLoopback.js');
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const silent = await listenOnLoopback(createServer(() => arrived()));
    try {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
      const destination = splunkHecDestination({ endpoint: silent.endpoint, token: TOKEN, requestTimeoutMs: 30_000 });
      const built = destination.build([record('x\n')], { batchId: 'b', scheduler, signal });
      const outcome: { error?: DeliveryError; atMs?: number } = {};
      from(destination.send(built.request!, { attempt: 1, batchId: 'b', scheduler, signal })).subscribe({
        error: (e: DeliveryError) => Object.assign(outcome, { error: e, atMs: scheduler.now() }),
      });
      await requestArrived;
      expect(outcome.error).toBeUndefined();
      scheduler.flush();
      expect([outcome.error?.code, outcome.error?.kind, outcome.atMs]).toEqual(['Splunk.ConnectionTimeout', 'transient', 30_000]);
    } finally {
      await silent.stop();
    }
  });

  it('should keep the token out of errors even when HEC echoes it back', async () => {
    const s = await hec();
    s.collector.failNext(1, { status: 400, text: `unknown thing near Splunk ${TOKEN} / ${JSON.stringify(TOKEN)}`, code: 99 });
    const err = await sendError({ endpoint: s.endpoint, token: TOKEN }, [record('x\n')]);
    expect(err.message).toContain('(HEC token)');
    tokenFree(err);
  });
});
