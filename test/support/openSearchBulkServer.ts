/**
 * A test server for OpenSearch's `_bulk` API, written from its public description (the OpenSearch and
 * Elasticsearch "Bulk" API reference, and AWS's Signature Version 4 documentation for signed requests to
 * Amazon OpenSearch Service). It is not OpenSearch: no OpenSearch installs on the project's machines, so
 * the tests run against this stand-in, which answers the way the description says the real API does.
 *
 * What it does, as OpenSearch does it:
 * - `POST`/`PUT` `/_bulk` and `/<index>/_bulk`, `Content-Type` `application/json` or `application/x-ndjson`
 *   (406 otherwise); the body is NDJSON that must end with a newline (400 otherwise).
 * - Action lines `{"index"|"create"|"update"|"delete": {"_index","_id",…}}`; a malformed action line, an
 *   unknown action or parameter (including `_type`, unless `allowTypes`, as in Elasticsearch 6), or a missing
 *   index fail the whole request with 400 `illegal_argument_exception`. `index`, `create` and `update` take
 *   the next line as the document.
 * - Per item: `status` and `result` (`created` 201 / `updated` 200, `_version` counting up), or `status` and
 *   `error: {type, reason}`: `mapper_parsing_exception` for a document that is not a JSON object or whose
 *   field contradicts the index's dynamic mapping, `invalid_index_name_exception`, `version_conflict_engine_exception`
 *   for `create` on an existing id, and 429 `rejected_execution_exception` for a configurable share of items.
 *   `errors` is `true` when any item failed.
 * - 413 with an empty body for a body over `maxBodyBytes` (OpenSearch's `http.max_content_length`, 100 MiB).
 * - Authentication: SigV4 (the signature is recomputed with `@smithy/signature-v4` from the signed headers,
 *   and the payload hash checked) answered with 403 and AWS's messages, or basic auth answered with 401.
 * - A document store to query: `documents()`, `document()`, `indices()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { listenOnLoopback } from './listenOnLoopback.js';

export interface StoredDocument {
  readonly index: string;
  readonly id: string;
  /** The document line as it was sent. */
  readonly source: string;
  readonly version: number;
}

/** An item's failure as the server answers it. */
export interface ItemError {
  readonly status: number;
  readonly type: string;
  readonly reason: string;
}

/** What the server knows of one item when deciding to fail it. */
export interface BulkItemContext {
  readonly action: string;
  readonly index: string;
  readonly id: string | undefined;
  readonly source: string | undefined;
  /** Counts every item the server has seen, from 0. */
  readonly sequence: number;
}

/** One request as it reached the server. */
export interface BulkRequestLog {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  bytes: number;
  /** The HTTP status answered. */
  status: number;
  /** The items' statuses, in order (empty when the whole request failed). */
  itemStatuses: number[];
}

export interface OpenSearchBulkServerOptions {
  /** Bodies over this many bytes are answered 413. Default 100 MiB (OpenSearch's `http.max_content_length`). */
  readonly maxBodyBytes?: number;
  /** The share of items (0–1) answered 429, spread evenly over the items seen (every 1/share-th item). Default 0. */
  readonly throttledShare?: number;
  /** Fails chosen items: return the error to answer, or `undefined` to index the item. Runs before `throttledShare`. */
  readonly failItem?: (item: BulkItemContext) => ItemError | undefined;
  /** Fails a whole request before it is read: return a status and body, or `undefined`. */
  readonly failRequest?: (request: {
    readonly sequence: number;
    readonly headers: IncomingHttpHeaders;
  }) => { status: number; body?: unknown } | undefined;
  /** Accept `_type` in action lines, as Elasticsearch 6 does. Default `false`, as OpenSearch 2. */
  readonly allowTypes?: boolean;
  /** Serve https with this key and certificate (PEM). Default: http. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Require SigV4 with these credentials, or basic auth. Default: no authentication. */
  readonly auth?:
    | {
        readonly sigv4: {
          readonly accessKeyId: string;
          readonly secretAccessKey: string;
          readonly sessionToken?: string;
          readonly region: string;
          readonly service: 'es' | 'aoss';
        };
      }
    | { readonly basic: { readonly username: string; readonly password: string } };
}

export interface OpenSearchBulkServer {
  /** `http://127.0.0.1:<port>` (`https:` with `tls`) */
  readonly endpoint: string;
  /** Every request, in order. */
  readonly requests: readonly BulkRequestLog[];
  /** Every stored document, in the order first indexed. */
  documents(index?: string): StoredDocument[];
  document(index: string, id: string): StoredDocument | undefined;
  /** Index names that hold documents, sorted. */
  indices(): string[];
  stop(): Promise<void>;
}

const MIB = 1_048_576;
const ACTIONS = new Set(['index', 'create', 'update', 'delete']);
const PARAMETERS = new Set([
  '_index',
  '_id',
  'routing',
  'pipeline',
  'version',
  'version_type',
  'if_seq_no',
  'if_primary_term',
  'require_alias',
  'retry_on_conflict',
]);
const INDEX_FORBIDDEN = /[\\/*?"<>| ,#:]/;

type FieldType = 'long' | 'float' | 'boolean' | 'text' | 'object';

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** Starts the test server on 127.0.0.1. */
export async function startOpenSearchBulkServer(options: OpenSearchBulkServerOptions = {}): Promise<OpenSearchBulkServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 100 * MIB;
  const throttledShare = options.throttledShare ?? 0;
  const store = new Map<string, Map<string, StoredDocument>>();
  const mappings = new Map<string, Map<string, FieldType>>();
  const requests: BulkRequestLog[] = [];
  let itemSequence = 0;
  let throttledSoFar = 0;
  let seqNo = 0;

  const verifier =
    options.auth !== undefined && 'sigv4' in options.auth
      ? new SignatureV4({
          credentials: {
            accessKeyId: options.auth.sigv4.accessKeyId,
            secretAccessKey: options.auth.sigv4.secretAccessKey,
            ...(options.auth.sigv4.sessionToken === undefined ? {} : { sessionToken: options.auth.sigv4.sessionToken }),
          },
          region: options.auth.sigv4.region,
          service: options.auth.sigv4.service,
          sha256: Sha256,
          // Verify what was sent: the payload hash comes from the request's own header, never added.
          applyChecksum: false,
        })
      : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const log: BulkRequestLog = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      bytes: 0,
      status: 0,
      itemStatuses: [],
    };
    requests.push(log);
    const answer = (status: number, body?: unknown): void => {
      log.status = status;
      if (body === undefined) {
        res.writeHead(status, { 'content-length': 0 }).end();
        return;
      }
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) }).end(text);
    };

    const injected = options.failRequest?.({ sequence: requests.length - 1, headers: req.headers });
    const { bytes, tooLarge } = await readAll(req, maxBodyBytes);
    log.bytes = bytes.length;
    if (injected !== undefined) return answer(injected.status, injected.body);
    if (tooLarge) return answer(413);

    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/(?:([^/_][^/]*)\/)?_bulk\/?$/.exec(url.pathname);
    if (match === null || (req.method !== 'POST' && req.method !== 'PUT')) {
      return answer(
        404,
        error(404, 'resource_not_found_exception', `no handler found for uri [${url.pathname}] and method [${req.method}]`),
      );
    }

    const authProblem =
      verifier !== undefined && options.auth !== undefined && 'sigv4' in options.auth
        ? await sigv4Problem(verifier, options.auth.sigv4, req, url, bytes)
        : basicProblem(options.auth, req.headers);
    if (authProblem !== undefined) return answer(authProblem.status, authProblem.body);

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'application/x-ndjson') {
      return answer(406, { error: `Content-Type header [${req.headers['content-type'] ?? ''}] is not supported`, status: 406 });
    }

    let operations: Operation[];
    try {
      operations = parseBulkBody(bytes, match[1] === undefined ? undefined : decodeURIComponent(match[1]), options.allowTypes ?? false);
    } catch (err) {
      if (err instanceof BadRequest) return answer(err.status, error(err.status, err.type, err.message));
      throw err;
    }

    const items = operations.map((op) => {
      const context: BulkItemContext = { action: op.action, index: op.index, id: op.id, source: op.source, sequence: itemSequence++ };
      const injectedError = options.failItem?.(context);
      const result = injectedError !== undefined ? failed(op.index, op.id, injectedError) : (throttle(context) ?? apply(op));
      log.itemStatuses.push(result.status);
      return { [op.action]: result };
    });
    answer(200, { took: 1, errors: log.itemStatuses.some((s) => s >= 300), items });
  };

  /** Every 1/share-th item, evenly: item k is throttled when ⌊(k+1)·share⌋ > ⌊k·share⌋. */
  const throttle = (item: BulkItemContext): ItemResult | undefined => {
    if (throttledShare <= 0) return undefined;
    const due = Math.floor((item.sequence + 1) * throttledShare);
    if (due <= throttledSoFar) return undefined;
    throttledSoFar = due;
    return failed(item.index, item.id, {
      status: 429,
      type: 'rejected_execution_exception',
      reason:
        'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=0]',
    });
  };

  const apply = (op: Operation): ItemResult => {
    const problem = indexNameProblem(op.index);
    if (problem !== undefined)
      return failed(op.index, op.id, {
        status: 400,
        type: 'invalid_index_name_exception',
        reason: `Invalid index name [${op.index}], ${problem}`,
      });
    const docs = store.get(op.index) ?? new Map<string, StoredDocument>();
    if (op.action === 'delete') {
      const existed = op.id !== undefined && docs.delete(op.id);
      return ok(op.index, op.id ?? '', existed ? 'deleted' : 'not_found', existed ? 200 : 404, 1);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(op.source ?? '');
    } catch (err) {
      return failed(op.index, op.id, {
        status: 400,
        type: 'mapper_parsing_exception',
        reason: `failed to parse: ${(err as Error).message}`,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return failed(op.index, op.id, {
        status: 400,
        type: 'mapper_parsing_exception',
        reason: 'failed to parse, document is not a JSON object',
      });
    }
    if (op.action === 'update')
      return failed(op.index, op.id, {
        status: 400,
        type: 'illegal_argument_exception',
        reason: 'update is not supported by this test server',
      });
    const id = op.id ?? randomBytes(15).toString('base64url');
    const existing = docs.get(id);
    if (op.action === 'create' && existing !== undefined) {
      return failed(op.index, id, {
        status: 409,
        type: 'version_conflict_engine_exception',
        reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
      });
    }
    const mappingProblem = checkMapping(op.index, parsed as Record<string, unknown>, id);
    if (mappingProblem !== undefined)
      return failed(op.index, id, { status: 400, type: 'mapper_parsing_exception', reason: mappingProblem });
    const version = (existing?.version ?? 0) + 1;
    docs.set(id, { index: op.index, id, source: op.source!, version });
    store.set(op.index, docs);
    return ok(op.index, id, existing === undefined ? 'created' : 'updated', existing === undefined ? 201 : 200, version);
  };

  /** Dynamic mapping of top-level fields: the first value fixes a field's type; a later value that cannot be one fails. */
  const checkMapping = (index: string, doc: Record<string, unknown>, id: string): string | undefined => {
    const mapping = mappings.get(index) ?? new Map<string, FieldType>();
    const added: Array<[string, FieldType]> = [];
    for (const [field, value] of Object.entries(doc)) {
      if (value === null) continue;
      const type = mapping.get(field);
      if (type === undefined) {
        added.push([field, typeOfValue(value)]);
        continue;
      }
      const problem = fitProblem(type, value);
      if (problem !== undefined) {
        return `failed to parse field [${field}] of type [${type}] in document with id '${id}'. Preview of field's value: '${String(JSON.stringify(value)).slice(0, 40)}' (${problem})`;
      }
    }
    for (const [field, type] of added) mapping.set(field, type);
    mappings.set(index, mapping);
    return undefined;
  };

  const ok = (index: string, id: string, result: string, status: number, version: number): ItemResult => ({
    _index: index,
    _id: id,
    _version: version,
    result,
    _shards: { total: 2, successful: 1, failed: 0 },
    _seq_no: seqNo++,
    _primary_term: 1,
    status,
  });

  const listener: RequestListener = (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(error(500, 'exception', String(err))));
    });
  };
  const server: Server =
    options.tls === undefined ? createServer(listener) : (createHttpsServer(options.tls, listener) as unknown as Server);
  const loopback = await listenOnLoopback(server);
  return {
    endpoint: options.tls === undefined ? loopback.endpoint : loopback.endpoint.replace(/^http:/, 'https:'),
    requests,
    documents: (index) => [...store.values()].flatMap((docs) => [...docs.values()]).filter((d) => index === undefined || d.index === index),
    document: (index, id) => store.get(index)?.get(id),
    indices: () => [...store.keys()].filter((k) => store.get(k)!.size > 0).sort(),
    stop: () => loopback.stop(),
  };
}

type ItemResult = Record<string, unknown> & { status: number };

interface Operation {
  readonly action: string;
  readonly index: string;
  readonly id: string | undefined;
  readonly source: string | undefined;
}

function failed(index: string, id: string | undefined, e: ItemError): ItemResult {
  return { _index: index, ...(id === undefined ? {} : { _id: id }), status: e.status, error: { type: e.type, reason: e.reason, index } };
}

function error(status: number, type: string, reason: string): unknown {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** NDJSON as OpenSearch's bulk parser reads it: action line, then (except for delete) the document line. */
function parseBulkBody(bytes: Buffer, pathIndex: string | undefined, allowTypes: boolean): Operation[] {
  if (bytes.length === 0) throw new BadRequest(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  if (bytes[bytes.length - 1] !== 0x0a)
    throw new BadRequest(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
  const lines = bytes
    .subarray(0, bytes.length - 1)
    .toString('utf8')
    .split('\n');
  const operations: Operation[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    let action: unknown;
    try {
      action = JSON.parse(lines[i]!);
    } catch {
      throw new BadRequest(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNumber}], expected START_OBJECT or END_OBJECT but found [${lines[i] === '' ? 'null' : 'VALUE_STRING'}]`,
      );
    }
    if (typeof action !== 'object' || action === null || Array.isArray(action)) {
      throw new BadRequest(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNumber}], expected START_OBJECT but found [${Array.isArray(action) ? 'START_ARRAY' : 'VALUE'}]`,
      );
    }
    const keys = Object.keys(action);
    if (keys.length !== 1 || !ACTIONS.has(keys[0]!)) {
      throw new BadRequest(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNumber}], expected one of [create, delete, index, update] but found [${keys[0] ?? ''}]`,
      );
    }
    const name = keys[0]!;
    const meta = (action as Record<string, unknown>)[name];
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw new BadRequest(400, 'illegal_argument_exception', `Malformed action/metadata line [${lineNumber}], expected START_OBJECT`);
    }
    for (const p of Object.keys(meta)) {
      if (!PARAMETERS.has(p) && !(allowTypes && p === '_type')) {
        throw new BadRequest(
          400,
          'illegal_argument_exception',
          `Action/metadata line [${lineNumber}] contains an unknown parameter [${p}]`,
        );
      }
    }
    const m = meta as { _index?: unknown; _id?: unknown };
    const index = typeof m._index === 'string' ? m._index : pathIndex;
    if (index === undefined) throw new BadRequest(400, 'action_request_validation_exception', `Validation Failed: 1: index is missing;`);
    const id = m._id === undefined ? undefined : String(m._id);
    let source: string | undefined;
    if (name !== 'delete') {
      i++;
      if (i >= lines.length)
        throw new BadRequest(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
      source = lines[i]!;
    }
    operations.push({ action: name, index, id, source });
  }
  return operations;
}

function indexNameProblem(name: string): string | undefined {
  if (name !== name.toLowerCase()) return 'must be lowercase';
  if (INDEX_FORBIDDEN.test(name)) return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]';
  if (/^[_\-+]/.test(name)) return "must not start with '_', '-', or '+'";
  if (name === '.' || name === '..') return "must not be '.' or '..'";
  if (Buffer.byteLength(name) > 255) return 'index name is too long';
  return undefined;
}

function typeOfValue(value: unknown): FieldType {
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'float';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'object') return 'object';
  return 'text';
}

function fitProblem(type: FieldType, value: unknown): string | undefined {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'object') return isObject ? undefined : 'tried to parse field as object, but found a concrete value';
  if (isObject) return 'tried to parse an object as a concrete value';
  if (type === 'text') return undefined;
  if (type === 'boolean') return value === true || value === false || value === 'true' || value === 'false' ? undefined : 'not a boolean';
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? undefined : 'not a number';
}

async function readAll(req: IncomingMessage, maxBytes: number): Promise<{ bytes: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return { bytes: Buffer.concat(chunks), tooLarge: size > maxBytes };
}

function basicProblem(
  auth: OpenSearchBulkServerOptions['auth'],
  headers: IncomingHttpHeaders,
): { status: number; body: unknown } | undefined {
  if (auth === undefined || !('basic' in auth)) return undefined;
  const expected = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
  if (headers.authorization === expected) return undefined;
  return { status: 401, body: error(401, 'security_exception', 'Unauthorized') };
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the request's SigV4 signature from its signed headers and compares; checks the payload hash. */
async function sigv4Problem(
  verifier: SignatureV4,
  expected: { readonly accessKeyId: string; readonly region: string; readonly service: string },
  req: IncomingMessage,
  url: URL,
  body: Buffer,
): Promise<{ status: number; body: unknown } | undefined> {
  const header = req.headers.authorization;
  if (header === undefined) return { status: 403, body: { message: 'Missing Authentication Token' } };
  const m = AUTHORIZATION.exec(header);
  const amzDate = req.headers['x-amz-date'];
  if (m === null || typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return { status: 403, body: { message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header." } };
  }
  const [, accessKeyId, , region, service, signedHeaders, signature] = m;
  if (accessKeyId !== expected.accessKeyId)
    return { status: 403, body: { message: 'The security token included in the request is invalid.' } };
  if (service !== expected.service)
    return { status: 403, body: { message: `Credential should be scoped to correct service: '${expected.service}'.` } };
  if (region !== expected.region)
    return { status: 403, body: { message: `Credential should be scoped to a valid region, not '${region}'.` } };
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (payloadHash !== undefined && payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(body).digest('hex')) {
    return { status: 403, body: { message: 'The provided x-amz-content-sha256 header does not match what was computed.' } };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) {
    const value = req.headers[name];
    if (value === undefined)
      return {
        status: 403,
        body: {
          message: `The request signature we calculated does not match the signature you provided (header ${name} is signed but absent).`,
        },
      };
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const signed = await verifier.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: (headers.host ?? '').split(':')[0]!,
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate },
  );
  const computed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1];
  if (computed !== signature) {
    return {
      status: 403,
      body: {
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      },
    };
  }
  return undefined;
}
