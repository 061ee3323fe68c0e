import { Buffer } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { FirehoseApiError } from '../sources/directPut/FirehoseApiError.js';

/** How far a request's `X-Amz-Date` may be from the server's clock, as AWS allows: 15 minutes. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** What a signed request is made of, as the server received it. */
export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /**
   * The body, or a function that reads it: called only once the headers passed (a signature is there, well
   * formed, by a known key, dated within 15 minutes), so a request that fails them is refused unread.
   */
  readonly body: Buffer | (() => Promise<Buffer>);
}

/**
 * Checks a request's AWS Signature Version 4 against the secret of its access key: recomputes the
 * signature with `@smithy/signature-v4` over the headers the client signed and the body, and compares it in
 * constant time. Returns the access key id; throws Firehose's (AWS's) error otherwise:
 * `MissingAuthenticationTokenException` without an Authorization header, `IncompleteSignatureException` for
 * a malformed one, `UnrecognizedClientException` for an unknown access key, `InvalidSignatureException` for
 * a wrong signature or a date more than 15 minutes off. No message contains a secret.
 */
export async function verifySigV4(request: SignedRequest, secrets: ReadonlyMap<string, string>, nowMs: number): Promise<string> {
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '')
    throw new FirehoseApiError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(authorization.trim());
  if (match === null) {
    throw new FirehoseApiError(
      'IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature parameters.',
    );
  }
  const [, accessKeyId, scopeDate, region, service, signedList, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const amzDate = header(request.headers, 'x-amz-date');
  const date = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (date === undefined)
    throw new FirehoseApiError('IncompleteSignatureException', 'Authorization requires an X-Amz-Date header of the form yyyyMMddTHHmmssZ.');
  if (amzDate!.slice(0, 8) !== scopeDate)
    throw new FirehoseApiError('InvalidSignatureException', "The credential scope's date does not match X-Amz-Date.");
  if (service !== 'firehose')
    throw new FirehoseApiError('InvalidSignatureException', `Credential should be scoped to correct service: 'firehose'.`);
  const signed = signedList.split(';');
  if (!signed.includes('host')) throw new FirehoseApiError('InvalidSignatureException', 'The host header must be signed.');
  const secret = secrets.get(accessKeyId);
  if (secret === undefined)
    throw new FirehoseApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (Math.abs(date.getTime() - nowMs) > MAX_CLOCK_SKEW_MS) {
    throw new FirehoseApiError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is more than 15 minutes from the server's time.`,
    );
  }

  const body = typeof request.body === 'function' ? await request.body() : request.body;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const claimedHash = header(request.headers, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== bodyHash)
    throw new FirehoseApiError('InvalidSignatureException', 'The body does not match X-Amz-Content-SHA256.');

  // Recompute over exactly the headers the client signed (the signer adds X-Amz-Date and the session token itself).
  const headers: Record<string, string> = {};
  for (const name of signed) {
    if (name === 'x-amz-date' || name === 'x-amz-security-token') continue;
    const value = header(request.headers, name);
    if (value === undefined)
      throw new FirehoseApiError('IncompleteSignatureException', `Signed header ${name} is missing from the request.`);
    headers[name] = value;
  }
  const sessionToken = signed.includes('x-amz-security-token') ? header(request.headers, 'x-amz-security-token') : undefined;
  // Loaded at the first signed request: a server without --credentials never loads it.
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret, ...(sessionToken === undefined ? {} : { sessionToken }) },
    region,
    service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const [path, query] = splitPath(request.path);
  const resigned = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: headers.host ?? '', path, query, headers, body },
    { signingDate: date, signableHeaders: new Set(signed) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization ?? resigned.headers.Authorization))?.[1] ?? '';
  const expectedList = /SignedHeaders=([^,]+)/.exec(String(resigned.headers.authorization ?? resigned.headers.Authorization))?.[1];
  const same = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  if (!same || expectedList !== signedList) {
    throw new FirehoseApiError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return accessKeyId;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (m === null) return undefined;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function splitPath(raw: string): [string, Record<string, string | string[]>] {
  const at = raw.indexOf('?');
  if (at === -1) return [raw, {}];
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw.slice(at + 1))) {
    const held = query[k];
    query[k] = held === undefined ? v : Array.isArray(held) ? [...held, v] : [held, v];
  }
  return [raw.slice(0, at), query];
}

/** SHA-256 (and HMAC-SHA-256 with a secret) from node:crypto, in the shape the signer takes. */
class NodeSha256 {
  #hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBuffer(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }

  reset(): void {
    throw new Error('NodeSha256 cannot be reset');
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
