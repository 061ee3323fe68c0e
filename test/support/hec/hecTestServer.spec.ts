/**
 * The HEC test server itself, checked against what Splunk's HEC documentation states, and against Splunk's
 * own JavaScript client (`splunk-logging`) as an independent sender: if the stand-in drifted from HEC, the
 * destination's tests against it would prove nothing.
 */
import { randomUUID } from 'node:crypto';
import SplunkLogging from 'splunk-logging';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../receivers/http/support.js';
import { HecTestCollector } from './hecTestCollector.js';
import { startHecTestServer, type HecTestServer } from './hecTestServer.js';

const TOKEN = '11111111-2222-3333-4444-555555555555';
const NO_ACK = '99999999-2222-3333-4444-555555555555';
const DISABLED = '00000000-2222-3333-4444-555555555555';

const servers: HecTestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.stop();
});
async function start(options: Partial<ConstructorParameters<typeof HecTestCollector>[0]> = {}): Promise<HecTestServer & { port: number }> {
  const server = await startHecTestServer({
    tokens: {
      [TOKEN]: { useAck: true, allowedIndexes: ['main', 'firehose'] },
      [NO_ACK]: { useAck: false },
      [DISABLED]: { disabled: true },
    },
    ...options,
  });
  servers.push(server);
  return Object.assign(server, { port: Number(new URL(server.endpoint).port) });
}

const post = (port: number, path: string, body: string, headers: Record<string, string> = {}) =>
  rawRequest(port, { method: 'POST', path, headers, body });
const auth = (token = TOKEN) => ({ Authorization: `Splunk ${token}` });

describe('HEC test server (written from Splunk HEC documentation)', () => {
  describe('tokens', () => {
    it.each([
      ['no Authorization header', {}, 401, 'Token is required', 2],
      ['another scheme', { Authorization: `Bearer ${TOKEN}` }, 401, 'Invalid authorization', 3],
      ['an unknown token', { Authorization: 'Splunk nope' }, 403, 'Invalid token', 4],
      ['a disabled token', { Authorization: `Splunk ${DISABLED}` }, 403, 'Token disabled', 1],
    ])('should refuse %s with HEC status %s', async (_what, headers, status, text, code) => {
      const s = await start();
      const r = await post(s.port, '/services/collector/event', '{"event":"x"}', { ...headers, 'X-Splunk-Request-Channel': randomUUID() });
      expect([r.status, r.json]).toEqual([status, { text, code }]);
      expect(s.collector.indexed).toEqual([]);
    });

    it('should refuse a token in the query string (not enabled), and take HTTP Basic with the token as password', async () => {
      const s = await start();
      const q = await post(s.port, `/services/collector/event?token=${TOKEN}`, '{"event":"x"}');
      expect([q.status, q.json]).toEqual([400, { text: 'Query string authorization is not enabled', code: 16 }]);
      const basic = await post(s.port, '/services/collector/event', '{"event":"x"}', {
        Authorization: `Basic ${Buffer.from(`x:${NO_ACK}`).toString('base64')}`,
      });
      expect([basic.status, basic.json]).toEqual([200, { text: 'Success', code: 0 }]);
    });
  });

  describe('channels and acknowledgement', () => {
    it('should require a GUID channel for a token with acknowledgement', async () => {
      const s = await start();
      expect((await post(s.port, '/services/collector/raw', 'a\n', auth())).json).toEqual({ text: 'Data channel is missing', code: 10 });
      expect((await post(s.port, '/services/collector/raw?channel=abc', 'a\n', auth())).json).toEqual({
        text: 'Invalid data channel',
        code: 11,
      });
      expect(s.collector.indexed).toEqual([]);
    });

    it('should number ackIds per channel from 0, report an ack true once and then forget it', async () => {
      const s = await start();
      const [a, b] = [randomUUID(), randomUUID()];
      const send = (channel: string) =>
        post(s.port, '/services/collector/raw', 'line\n', { ...auth(), 'X-Splunk-Request-Channel': channel });
      expect((await send(a)).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
      expect((await send(a)).json).toEqual({ text: 'Success', code: 0, ackId: 1 });
      expect((await send(b)).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
      const ask = (channel: string, acks: number[]) =>
        post(s.port, `/services/collector/ack?channel=${channel}`, JSON.stringify({ acks }), auth());
      expect((await ask(a, [0, 1, 7])).json).toEqual({ acks: { '0': true, '1': true, '7': false } });
      expect((await ask(a, [0, 1])).json).toEqual({ acks: { '0': false, '1': false } });
      expect((await ask(b, [0])).json).toEqual({ acks: { '0': true } });
    });

    it('should keep acks false until the data is indexed (manual indexing), and after a restart forget them and lose unindexed data', async () => {
      const s = await start({ indexing: 'manual' });
      const channel = randomUUID();
      const headers = { ...auth(), 'X-Splunk-Request-Channel': channel };
      await post(s.port, '/services/collector/raw', 'first\n', headers);
      const ask = () => post(s.port, '/services/collector/ack', JSON.stringify({ acks: [0, 1] }), headers);
      expect((await ask()).json).toEqual({ acks: { '0': false, '1': false } });
      s.collector.indexPending();
      await post(s.port, '/services/collector/raw', 'second\n', headers);
      await s.restart();
      expect((await ask()).json).toEqual({ acks: { '0': false, '1': false } });
      s.collector.indexPending();
      expect(s.collector.indexed.map((e) => e.event)).toEqual(['first']);
      // Numbering starts again at 0 on the restarted server.
      expect((await post(s.port, '/services/collector/raw', 'third\n', headers)).json).toMatchObject({ ackId: 0 });
    });

    it('should index after a delay on its clock', () => {
      let nowMs = 0;
      const c = new HecTestCollector({ tokens: { [TOKEN]: {} }, indexing: { afterMs: 5_000 }, now: () => nowMs });
      const channel = randomUUID();
      const req = (url: string, body: string) =>
        c.handle({
          method: 'POST',
          url,
          headers: { authorization: `Splunk ${TOKEN}`, 'x-splunk-request-channel': channel },
          body: Buffer.from(body),
        });
      expect(req('/services/collector/raw', 'x\n').body).toMatchObject({ ackId: 0 });
      nowMs = 4_999;
      expect(req('/services/collector/ack', '{"acks":[0]}').body).toEqual({ acks: { '0': false } });
      nowMs = 5_000;
      expect(req('/services/collector/ack', '{"acks":[0]}').body).toEqual({ acks: { '0': true } });
    });

    it('should index but never acknowledge with loseAcks', async () => {
      const s = await start({ loseAcks: true });
      const headers = { ...auth(), 'X-Splunk-Request-Channel': randomUUID() };
      await post(s.port, '/services/collector/raw', 'x\n', headers);
      expect((await post(s.port, '/services/collector/ack', '{"acks":[0]}', headers)).json).toEqual({ acks: { '0': false } });
      expect(s.collector.indexed.map((e) => e.event)).toEqual(['x']);
    });

    it('should answer without ackId for a token without acknowledgement, and refuse ack queries there', async () => {
      const s = await start();
      expect((await post(s.port, '/services/collector/raw', 'x\n', auth(NO_ACK))).json).toEqual({ text: 'Success', code: 0 });
      const r = await post(s.port, `/services/collector/ack?channel=${randomUUID()}`, '{"acks":[0]}', auth(NO_ACK));
      expect([r.status, r.json]).toEqual([400, { text: 'ACK is disabled', code: 14 }]);
    });
  });

  describe('event data', () => {
    it('should index concatenated JSON events with their metadata', async () => {
      const s = await start();
      const body =
        '{"event":{"a":1},"time":1700000000.5,"host":"h","source":"s","sourcetype":"_json","index":"firehose","fields":{"k":"v"}} {"event":"two"}';
      const r = await post(s.port, '/services/collector/event', body, { ...auth(), 'X-Splunk-Request-Channel': randomUUID() });
      expect(r.status).toBe(200);
      expect(s.collector.indexed).toEqual([
        expect.objectContaining({
          endpoint: 'event',
          event: { a: 1 },
          time: 1700000000.5,
          host: 'h',
          source: 's',
          sourcetype: '_json',
          index: 'firehose',
          fields: { k: 'v' },
        }),
        expect.objectContaining({ endpoint: 'event', event: 'two', index: 'main' }),
      ]);
    });

    it.each([
      ['', 400, { text: 'No data', code: 5 }],
      ['{"event":"ok"}{"nope":1}', 400, { text: 'Event field is required', code: 12, 'invalid-event-number': 1 }],
      ['{"event":""}', 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 }],
      ['{"event":"ok"} plain text', 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }],
      ['{"event":"x","index":"secret"}', 400, { text: 'Incorrect index', code: 7, 'invalid-event-number': 0 }],
      ['{"event":"x","fields":{"k":{"nested":1}}}', 400, { text: 'Error in handling indexed fields', code: 15, 'invalid-event-number': 0 }],
    ])('should refuse %j whole', async (body, status, json) => {
      const s = await start();
      const r = await post(s.port, '/services/collector/event', body, { ...auth(), 'X-Splunk-Request-Channel': randomUUID() });
      expect([r.status, r.json]).toEqual([status, json]);
      expect(s.collector.indexed).toEqual([]);
    });

    it('should break raw data into one event per line, metadata from the query string', async () => {
      const s = await start();
      await post(s.port, '/services/collector/raw?sourcetype=st&index=firehose', 'a\nb\r\n\nc', {
        ...auth(),
        'X-Splunk-Request-Channel': randomUUID(),
      });
      expect(s.collector.indexed.map((e) => [e.event, e.sourcetype, e.index])).toEqual([
        ['a', 'st', 'firehose'],
        ['b', 'st', 'firehose'],
        ['c', 'st', 'firehose'],
      ]);
    });
  });

  describe('health and faults', () => {
    it('should report health, and answer 503 "Server is busy" while busy', async () => {
      const s = await start();
      expect((await rawRequest(s.port, { method: 'GET', path: '/services/collector/health' })).json).toEqual({
        text: 'HEC is healthy',
        code: 17,
      });
      s.collector.busy = true;
      const health = await rawRequest(s.port, { method: 'GET', path: '/services/collector/health' });
      expect([health.status, health.json]).toEqual([503, { text: 'HEC is unhealthy, queues are full', code: 18 }]);
      const r = await post(s.port, '/services/collector/raw', 'x\n', { ...auth(), 'X-Splunk-Request-Channel': randomUUID() });
      expect([r.status, r.json]).toEqual([503, { text: 'Server is busy', code: 9 }]);
    });

    it('should answer injected errors to the next data requests only', async () => {
      const s = await start();
      s.collector.failNext(1, { status: 500, text: 'Internal server error', code: 8 });
      const headers = { ...auth(), 'X-Splunk-Request-Channel': randomUUID() };
      expect((await post(s.port, '/services/collector/raw', 'x\n', headers)).status).toBe(500);
      expect((await post(s.port, '/services/collector/raw', 'x\n', headers)).status).toBe(200);
    });
  });

  describe('with Splunk’s own client (splunk-logging) as the sender', () => {
    const sendWith = (logger: SplunkLogging.Logger, contexts: SplunkLogging.SplunkContext[]) =>
      new Promise<unknown>((resolve, reject) => {
        for (const c of contexts) logger.send(c);
        logger.flush((err, _res, body) => (err ? reject(err) : resolve(body)));
      });

    it('should index a batch that splunk-logging sends to /services/collector/event/1.0', async () => {
      const s = await start();
      const logger = new SplunkLogging.Logger({ token: NO_ACK, url: s.endpoint, maxBatchCount: 0 });
      logger.eventFormatter = (message) => message;
      const body = await sendWith(logger, [
        {
          message: { user: 'ann' },
          metadata: { time: 1_700_000_000_250, source: 'app', sourcetype: '_json', index: 'main', host: 'web-1' },
        },
        { message: 'plain', metadata: { time: 1_700_000_001_000 } },
      ]);
      expect(body).toEqual({ text: 'Success', code: 0 });
      expect(s.collector.acceptedRequests).toBe(1);
      expect(s.collector.indexed).toEqual([
        {
          endpoint: 'event',
          channel: undefined,
          index: 'main',
          host: 'web-1',
          source: 'app',
          sourcetype: '_json',
          time: 1_700_000_000.25,
          event: { user: 'ann' },
          request: 1,
        },
        { endpoint: 'event', channel: undefined, index: 'main', time: 1_700_000_001, event: 'plain', request: 1 },
      ]);
    });

    it('should give splunk-logging an ackId when it sends on a channel of a token with acknowledgement', async () => {
      const s = await start();
      const logger = new SplunkLogging.Logger({ token: TOKEN, url: s.endpoint, maxBatchCount: 0 });
      logger.requestOptions.headers = { 'X-Splunk-Request-Channel': randomUUID() };
      expect(await sendWith(logger, [{ message: 'x' }])).toEqual({ text: 'Success', code: 0, ackId: 0 });
    });
  });
});
