/**
 * A Splunk HTTP Event Collector (HEC) **test server**, written from Splunk's public HEC documentation
 * ("Format events for HTTP Event Collector", "About HTTP Event Collector Indexer Acknowledgment",
 * "Troubleshoot HTTP Event Collector": its table of status codes). No Splunk can be installed on the
 * project's machines, so this stands in for one in tests. It is not Splunk: it indexes into memory, and it
 * models only what the documentation states.
 *
 * This file is the protocol core, without sockets: {@link HecTestCollector.handle} takes one request and
 * answers it. `hecTestServer.ts` puts it behind a real HTTP server on 127.0.0.1; virtual-time tests call
 * `handle` directly with the TestScheduler's clock, so that acknowledgement delays are exact.
 *
 * What it does, as the documentation describes HEC:
 * - Endpoints: `POST /services/collector`, `/services/collector/event`, `/services/collector/event/1.0`
 *   (JSON events), `POST /services/collector/raw`, `/services/collector/raw/1.0` (raw text, one event per
 *   line), `POST /services/collector/ack` (indexer acknowledgement), `GET /services/collector/health`.
 * - Tokens: `Authorization: Splunk <token>` (or HTTP Basic with the token as password). Missing: 401, code 2;
 *   another scheme: 401, code 3; unknown: 403, code 4; disabled: 403, code 1; in the query string: 400, code 16.
 * - Channels: `X-Splunk-Request-Channel` or `?channel=`, a GUID (else 400, code 11). Required for a token with
 *   indexer acknowledgement (400, code 10). Each channel numbers its requests' `ackId`s from 0.
 * - Events: a body of JSON objects one after another, each with a non-empty `event` (else code 12 or 13), an
 *   optional `time` (epoch seconds), `host`, `source`, `sourcetype`, `index` (one the token allows, else
 *   code 7), flat `fields` (else code 15). Anything unparsable: 400, code 6, with `invalid-event-number`.
 *   An empty body: 400, code 5.
 * - Acknowledgement: `{"acks":[0,1]}` answers `{"acks":{"0":true,"1":false}}`; an ack reported `true` is
 *   forgotten (asking again answers `false`), unknown ids answer `false`. A token without acknowledgement
 *   answers 400, code 14 there, and data requests get no `ackId`.
 * - Success: 200 `{"text":"Success","code":0}`, with `"ackId":N` when acknowledgement is on.
 * - Health: 200 `{"text":"HEC is healthy","code":17}`, or 503 code 18 when busy.
 */
import { Buffer } from 'node:buffer';

/** How a token is set up on the collector. */
export interface HecTokenSettings {
  /** Indexer acknowledgement enabled for this token. Default `true` (Firehose requires it). */
  readonly useAck?: boolean;
  /** A disabled token is refused with 403, code 1. */
  readonly disabled?: boolean;
  /** Indexes the token may write to. Default: any. */
  readonly allowedIndexes?: readonly string[];
  /** The index of events that name none. Default `main`. */
  readonly defaultIndex?: string;
}

/** When accepted data is indexed, which is when its acknowledgement becomes `true`. */
export type IndexingMode =
  /** This many ms (on the collector's clock) after the request was accepted; 0 for at once. */
  | { readonly afterMs: number }
  /** Only when the test calls {@link HecTestCollector.indexPending}. */
  | 'manual';

export interface HecTestCollectorOptions {
  readonly tokens: Readonly<Record<string, HecTokenSettings>>;
  /** The clock that indexing delays are measured on. Default `Date.now`. */
  readonly now?: () => number;
  /** Default `{ afterMs: 0 }`. */
  readonly indexing?: IndexingMode;
  /**
   * `true`: data is indexed but its acknowledgement never reads `true` (as behind a load balancer without
   * sticky sessions, where the ack query reaches another indexer). Default `false`.
   */
  readonly loseAcks?: boolean;
}

/** One event as the collector indexed it. */
export interface IndexedEvent {
  readonly endpoint: 'event' | 'raw';
  readonly channel: string | undefined;
  readonly index: string;
  readonly host?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  /** Epoch seconds, when the event or the raw request named one. */
  readonly time?: number;
  /** The `event` value (any JSON), or the line of raw text. */
  readonly event: unknown;
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Which accepted data request it came in (1 for the first). */
  readonly request: number;
}

/** One request as the collector sees it. */
export interface HecRequest {
  readonly method: string;
  /** Path and query, e.g. `/services/collector/raw?channel=…`. */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

export interface HecResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** An answer forced onto the next data requests, e.g. `{ status: 503, text: 'Server is busy', code: 9 }`. */
export interface InjectedAnswer {
  readonly status: number;
  readonly text: string;
  readonly code: number;
}

interface PendingRequest {
  readonly number: number;
  readonly acceptedAtMs: number;
  readonly events: IndexedEvent[];
  readonly channel: string | undefined;
  readonly ackId: number | undefined;
}

interface Channel {
  nextAckId: number;
  /** ackId → indexed (true) or not yet (false). Forgotten once reported true. */
  readonly acks: Map<number, PendingRequest | 'indexed'>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_PATHS = new Set(['/services/collector', '/services/collector/event', '/services/collector/event/1.0']);
const RAW_PATHS = new Set(['/services/collector/raw', '/services/collector/raw/1.0']);
const ACK_PATHS = new Set(['/services/collector/ack', '/services/collector/ack/1.0']);
const HEALTH_PATHS = new Set(['/services/collector/health', '/services/collector/health/1.0']);

/** Splunk's answers, by code, from its documentation's table. */
const ERRORS = {
  tokenDisabled: { status: 403, text: 'Token disabled', code: 1 },
  tokenRequired: { status: 401, text: 'Token is required', code: 2 },
  invalidAuthorization: { status: 401, text: 'Invalid authorization', code: 3 },
  invalidToken: { status: 403, text: 'Invalid token', code: 4 },
  noData: { status: 400, text: 'No data', code: 5 },
  invalidDataFormat: { status: 400, text: 'Invalid data format', code: 6 },
  incorrectIndex: { status: 400, text: 'Incorrect index', code: 7 },
  serverBusy: { status: 503, text: 'Server is busy', code: 9 },
  channelMissing: { status: 400, text: 'Data channel is missing', code: 10 },
  invalidChannel: { status: 400, text: 'Invalid data channel', code: 11 },
  eventRequired: { status: 400, text: 'Event field is required', code: 12 },
  eventBlank: { status: 400, text: 'Event field cannot be blank', code: 13 },
  ackDisabled: { status: 400, text: 'ACK is disabled', code: 14 },
  indexedFields: { status: 400, text: 'Error in handling indexed fields', code: 15 },
  queryStringAuth: { status: 400, text: 'Query string authorization is not enabled', code: 16 },
} as const;

class Refusal {
  constructor(
    readonly answer: { status: number; text: string; code: number },
    readonly invalidEventNumber?: number,
  ) {}
}

/** The protocol core of the HEC test server (see the file's comment). */
export class HecTestCollector {
  /** Every event indexed, in order. */
  readonly indexed: IndexedEvent[] = [];
  /** Every request received, in order, answered or not. */
  readonly requests: HecRequest[] = [];
  /** Data requests accepted so far. */
  acceptedRequests = 0;
  /** When set, `/health` answers 503 (code 18), and every data request and ack query 503 (code 9). */
  busy = false;

  private readonly tokens: Map<string, HecTokenSettings>;
  private readonly now: () => number;
  private indexing: IndexingMode;
  private loseAcks: boolean;
  private channels = new Map<string, Channel>();
  private pending: PendingRequest[] = [];
  private injected: InjectedAnswer[] = [];
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(options: HecTestCollectorOptions) {
    this.tokens = new Map(Object.entries(options.tokens));
    this.now = options.now ?? Date.now;
    this.indexing = options.indexing ?? { afterMs: 0 };
    this.loseAcks = options.loseAcks ?? false;
  }

  /** Changes when accepted data is indexed, from now on (pending requests included). */
  setIndexing(mode: IndexingMode): void {
    this.indexing = mode;
  }

  /** Sets up a token anew (e.g. turns its acknowledgement off). */
  setToken(token: string, settings: HecTokenSettings): void {
    this.tokens.set(token, settings);
  }

  /** Makes acknowledgements never (or again) read `true`. */
  setLoseAcks(lose: boolean): void {
    this.loseAcks = lose;
  }

  /** Answers the next `count` data requests with `answer` instead of accepting them. */
  failNext(count: number, answer: InjectedAnswer): void {
    for (let i = 0; i < count; i++) this.injected.push(answer);
  }

  /** Indexes every accepted request that is not indexed yet (for `indexing: 'manual'`). */
  indexPending(): void {
    for (const request of this.pending.splice(0)) this.index(request);
  }

  /**
   * What a restart of Splunk does to a collector: acknowledgement state lives in memory, so every channel
   * and ackId is forgotten (ackIds start at 0 again), and data accepted but not yet indexed is lost.
   * Indexed events stay.
   */
  restart(): void {
    this.channels = new Map();
    this.pending = [];
  }

  /** Resolves once `count` data requests in all have been accepted (so tests wait without polling). */
  whenAccepted(count: number): Promise<void> {
    if (this.acceptedRequests >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Accepted requests whose data is not indexed yet. */
  get pendingRequests(): number {
    this.indexDue();
    return this.pending.length;
  }

  /** Answers one request, as HEC would. */
  handle(request: HecRequest): HecResponse {
    this.requests.push(request);
    this.indexDue();
    const url = new URL(request.url, 'http://hec.invalid');
    try {
      if (HEALTH_PATHS.has(url.pathname) && request.method === 'GET') return this.health();
      const isEvent = EVENT_PATHS.has(url.pathname);
      const isRaw = RAW_PATHS.has(url.pathname);
      const isAck = ACK_PATHS.has(url.pathname);
      if (request.method !== 'POST' || !(isEvent || isRaw || isAck)) {
        return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
      }
      const token = this.authenticate(request, url);
      const channel = this.channelOf(request, url, token);
      if (this.busy) throw new Refusal(ERRORS.serverBusy);
      if (isAck) return this.ack(token, channel, request.body);
      const injected = this.injected.shift();
      if (injected !== undefined) return { status: injected.status, body: { text: injected.text, code: injected.code } };
      const events = isEvent ? this.parseEvents(request.body, token, channel) : this.parseRaw(request.body, url, token, channel);
      return this.accept(token, channel, events);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      const body: Record<string, unknown> = { text: err.answer.text, code: err.answer.code };
      if (err.invalidEventNumber !== undefined) body['invalid-event-number'] = err.invalidEventNumber;
      return { status: err.answer.status, body };
    }
  }

  private health(): HecResponse {
    return this.busy
      ? { status: 503, body: { text: 'HEC is unhealthy, queues are full', code: 18 } }
      : { status: 200, body: { text: 'HEC is healthy', code: 17 } };
  }

  private authenticate(request: HecRequest, url: URL): HecTokenSettings {
    const header = request.headers['authorization'];
    if (header === undefined) {
      throw new Refusal(url.searchParams.has('token') ? ERRORS.queryStringAuth : ERRORS.tokenRequired);
    }
    let token: string | undefined;
    const splunk = /^Splunk (.+)$/.exec(header);
    const basic = /^Basic (.+)$/.exec(header);
    if (splunk !== null) token = splunk[1];
    else if (basic !== null) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      token = colon < 0 ? undefined : decoded.slice(colon + 1);
    }
    if (token === undefined) throw new Refusal(ERRORS.invalidAuthorization);
    const settings = this.tokens.get(token);
    if (settings === undefined) throw new Refusal(ERRORS.invalidToken);
    if (settings.disabled === true) throw new Refusal(ERRORS.tokenDisabled);
    return settings;
  }

  private channelOf(request: HecRequest, url: URL, token: HecTokenSettings): string | undefined {
    const channel = request.headers['x-splunk-request-channel'] ?? url.searchParams.get('channel') ?? undefined;
    if (channel === undefined) {
      if (useAck(token)) throw new Refusal(ERRORS.channelMissing);
      return undefined;
    }
    if (!GUID.test(channel)) throw new Refusal(ERRORS.invalidChannel);
    return channel.toLowerCase();
  }

  private ack(token: HecTokenSettings, channel: string | undefined, body: Uint8Array): HecResponse {
    if (!useAck(token)) throw new Refusal(ERRORS.ackDisabled);
    let ids: unknown;
    try {
      ids = (JSON.parse(Buffer.from(body).toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      throw new Refusal(ERRORS.invalidDataFormat);
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && (id as number) >= 0)) throw new Refusal(ERRORS.invalidDataFormat);
    const state = this.channels.get(channel!);
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const status = state?.acks.get(id);
      const indexed = status === 'indexed' && !this.loseAcks;
      // Reported true once, then forgotten: a second query of the same id answers false.
      if (indexed) state!.acks.delete(id);
      acks[String(id)] = indexed;
    }
    return { status: 200, body: { acks } };
  }

  private accept(token: HecTokenSettings, channel: string | undefined, events: IndexedEvent[]): HecResponse {
    const number = ++this.acceptedRequests;
    const numbered = events.map((e) => ({ ...e, request: number }));
    let ackId: number | undefined;
    if (useAck(token) && channel !== undefined) {
      let state = this.channels.get(channel);
      if (state === undefined) this.channels.set(channel, (state = { nextAckId: 0, acks: new Map() }));
      ackId = state.nextAckId++;
    }
    const request: PendingRequest = { number, acceptedAtMs: this.now(), events: numbered, channel, ackId };
    if (ackId !== undefined) this.channels.get(channel!)!.acks.set(ackId, request);
    this.pending.push(request);
    this.indexDue();
    for (const w of this.waiters.filter((x) => x.count <= number)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return { status: 200, body: ackId === undefined ? { text: 'Success', code: 0 } : { text: 'Success', code: 0, ackId } };
  }

  private indexDue(): void {
    const mode = this.indexing;
    if (mode === 'manual') return;
    const now = this.now();
    const due = this.pending.filter((p) => now - p.acceptedAtMs >= mode.afterMs);
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => !due.includes(p));
    for (const request of due) this.index(request);
  }

  private index(request: PendingRequest): void {
    this.indexed.push(...request.events);
    if (request.ackId === undefined) return;
    const state = this.channels.get(request.channel!);
    // After a restart the channel no longer knows this ackId: nothing to mark.
    if (state?.acks.get(request.ackId) === request) state.acks.set(request.ackId, 'indexed');
  }

  private parseEvents(body: Uint8Array, token: HecTokenSettings, channel: string | undefined): IndexedEvent[] {
    const text = Buffer.from(body).toString('utf8');
    if (text.trim() === '') throw new Refusal(ERRORS.noData);
    const events: IndexedEvent[] = [];
    let n = 0;
    for (const chunk of splitJsonObjects(text)) {
      if (chunk === undefined) throw new Refusal(ERRORS.invalidDataFormat, n);
      let value: unknown;
      try {
        value = JSON.parse(chunk);
      } catch {
        throw new Refusal(ERRORS.invalidDataFormat, n);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Refusal(ERRORS.invalidDataFormat, n);
      const v = value as Record<string, unknown>;
      if (!('event' in v) || v.event === null) throw new Refusal(ERRORS.eventRequired, n);
      if (v.event === '') throw new Refusal(ERRORS.eventBlank, n);
      const fields = v.fields;
      if (fields !== undefined && !isFlatFields(fields)) throw new Refusal(ERRORS.indexedFields, n);
      const index = this.indexFor(v.index, token, n);
      const time = v.time === undefined ? undefined : Number(v.time);
      if (time !== undefined && !Number.isFinite(time)) throw new Refusal(ERRORS.invalidDataFormat, n);
      events.push({
        endpoint: 'event',
        channel,
        index,
        ...(typeof v.host === 'string' ? { host: v.host } : {}),
        ...(typeof v.source === 'string' ? { source: v.source } : {}),
        ...(typeof v.sourcetype === 'string' ? { sourcetype: v.sourcetype } : {}),
        ...(time === undefined ? {} : { time }),
        event: v.event,
        ...(fields === undefined ? {} : { fields: fields as Record<string, unknown> }),
        request: 0,
      });
      n++;
    }
    return events;
  }

  private parseRaw(body: Uint8Array, url: URL, token: HecTokenSettings, channel: string | undefined): IndexedEvent[] {
    if (body.byteLength === 0) throw new Refusal(ERRORS.noData);
    const index = this.indexFor(url.searchParams.get('index') ?? undefined, token, undefined);
    const meta = {
      ...(url.searchParams.has('host') ? { host: url.searchParams.get('host')! } : {}),
      ...(url.searchParams.has('source') ? { source: url.searchParams.get('source')! } : {}),
      ...(url.searchParams.has('sourcetype') ? { sourcetype: url.searchParams.get('sourcetype')! } : {}),
    };
    // The default line breaking of raw data: one event per line (`([\r\n]+)`), empty lines dropped.
    const lines = Buffer.from(body)
      .toString('utf8')
      .split(/[\r\n]+/)
      .filter((l) => l.trim() !== '');
    if (lines.length === 0) throw new Refusal(ERRORS.noData);
    return lines.map((line) => ({ endpoint: 'raw' as const, channel, index, ...meta, event: line, request: 0 }));
  }

  private indexFor(requested: unknown, token: HecTokenSettings, eventNumber: number | undefined): string {
    const index = requested === undefined ? (token.defaultIndex ?? 'main') : requested;
    if (typeof index !== 'string' || (token.allowedIndexes !== undefined && !token.allowedIndexes.includes(index))) {
      throw new Refusal(ERRORS.incorrectIndex, eventNumber);
    }
    return index;
  }
}

function useAck(token: HecTokenSettings): boolean {
  return token.useAck ?? true;
}

/** Indexed fields: a flat object whose values are strings or arrays of strings. */
function isFlatFields(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
}

/**
 * Cuts a body of JSON objects written one after another (whitespace between them allowed) into the text of
 * each object. A chunk that is not an object, or an unterminated one, comes out as `undefined` (and ends the cut).
 */
function* splitJsonObjects(text: string): Generator<string | undefined> {
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) return;
    if (text[i] !== '{') {
      yield undefined;
      return;
    }
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) break;
      }
    }
    if (i >= n) {
      yield undefined;
      return;
    }
    i++;
    yield text.slice(start, i);
  }
}
