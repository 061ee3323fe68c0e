import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkKind } from '../../options/checkKind.js';
import { checkNumber } from '../../options/checkNumber.js';
import { MAX_ACCESS_KEY_BYTES, type HttpEndpointRecord } from '../../protocols/httpEndpoint/protocol.js';

export const NAME = 'httpEndpointListener';

/**
 * The default `maxBodyBytes`: 90 MiB. Firehose's buffer for an HTTP endpoint holds up to 64 MiB of record
 * bytes, which become about 85.4 MiB of base64, plus 12 bytes of JSON per record (10,000 at most) and the
 * envelope: 90 MiB takes the largest request real Firehose can send, with room to spare.
 */
export const DEFAULT_MAX_BODY_BYTES = 90 * 1_048_576;
/** The largest `maxBodyBytes` accepted: 1 GiB. */
export const MAX_MAX_BODY_BYTES = 1_073_741_824;
/** The default `maxConcurrentBodyBytes`: 256 MiB. */
export const DEFAULT_MAX_CONCURRENT_BODY_BYTES = 256 * 1_048_576;

export type { HttpEndpointRecord } from '../../protocols/httpEndpoint/protocol.js';

/** What a request says about itself besides its records. */
export interface HttpEndpointRequestMeta {
  /** `X-Amz-Firehose-Request-Id`: the same on every retry of the same request, so it can serve to deduplicate. */
  readonly requestId: string;
  /** `X-Amz-Firehose-Source-Arn`: the delivery stream's ARN. */
  readonly sourceArn: string;
  /** `X-Amz-Firehose-Common-Attributes`, or `{}` when the stream sends none. */
  readonly commonAttributes: Readonly<Record<string, string>>;
  /** The body's `timestamp`: when the sender built this request, in epoch ms (`undefined` if it sent none). */
  readonly timestampMs: number | undefined;
}

/**
 * Receives the records of one request. Resolve (or return) to accept them: the sender gets 200 and counts
 * them delivered. Throw (or reject) to refuse them: the sender gets 500 with the error's message as
 * `errorMessage` and retries; an error with a numeric `statusCode` (or `status`) of 400–599 sets the status
 * instead (413 tells the sender not to retry; 429 says "slow down").
 */
export type HttpEndpointHandler = (records: HttpEndpointRecord[], meta: HttpEndpointRequestMeta) => void | Promise<void>;

export interface HttpEndpointListenerOptions {
  /**
   * The access key the sender must present in `X-Amz-Firehose-Access-Key` (compared in constant time), or
   * several while rotating keys. Default: none required.
   */
  readonly accessKey?: string | readonly string[] | undefined;
  /** Only these delivery streams (`X-Amz-Firehose-Source-Arn`) may deliver; others get 403. Default: any. */
  readonly sourceArns?: readonly string[] | undefined;
  /** The largest body accepted, counted after gzip decompression; larger ones get 413. Default 90 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /**
   * The most body bytes held at once across all requests in progress (as received, and once decompressed).
   * A request that would pass it gets 503 (the sender retries later) and its connection is closed. Default
   * 256 MiB, and never less than `maxBodyBytes`.
   */
  readonly maxConcurrentBodyBytes?: number | undefined;
  /** The clock for the response's `timestamp` and for closing refused connections. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

export interface ListenerConfig {
  /** SHA-256 digests of the accepted keys, for comparison in constant time. */
  readonly accessKeyDigests: readonly Buffer[] | undefined;
  readonly sourceArns: ReadonlySet<string> | undefined;
  readonly maxBodyBytes: number;
  readonly maxConcurrentBodyBytes: number;
  readonly scheduler: SchedulerLike;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Checks the handler and options at construction; throws {@link InvalidOptionError} naming the option (never showing a key). */
export function checkListenerOptions(
  handler: unknown,
  options: HttpEndpointListenerOptions,
  digest: (key: string) => Buffer,
): ListenerConfig {
  if (typeof handler !== 'function')
    throw new InvalidOptionError(NAME, 'handler', handler, 'a function (records, meta) => void | Promise<void>');
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(NAME, 'options', options, 'an object');

  let accessKeyDigests: Buffer[] | undefined;
  if (options.accessKey !== undefined) {
    const keys: unknown[] =
      typeof options.accessKey === 'string'
        ? [options.accessKey]
        : Array.isArray(options.accessKey)
          ? [...options.accessKey]
          : [options.accessKey];
    const allowed = `1 to ${MAX_ACCESS_KEY_BYTES} printable ASCII characters, or a non-empty array of such keys`;
    if (keys.length === 0) throw new InvalidOptionError(NAME, 'accessKey', 'an empty array', allowed);
    for (const key of keys) {
      if (typeof key !== 'string' || !PRINTABLE_ASCII.test(key) || key.length > MAX_ACCESS_KEY_BYTES) {
        throw new InvalidOptionError(
          NAME,
          'accessKey',
          typeof key === 'string' ? `a string of ${key.length} characters (not shown)` : key,
          allowed,
        );
      }
    }
    accessKeyDigests = (keys as string[]).map(digest);
  }

  let sourceArns: Set<string> | undefined;
  if (options.sourceArns !== undefined) {
    if (!Array.isArray(options.sourceArns) || !options.sourceArns.every((a) => typeof a === 'string' && a !== '')) {
      throw new InvalidOptionError(NAME, 'sourceArns', options.sourceArns, 'an array of delivery stream ARNs');
    }
    sourceArns = new Set(options.sourceArns);
  }

  const maxBodyBytes = checkNumber(NAME, 'maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, {
    min: 1,
    max: MAX_MAX_BODY_BYTES,
    integer: true,
    unit: 'bytes',
  });
  const maxConcurrentBodyBytes = checkNumber(
    NAME,
    'maxConcurrentBodyBytes',
    options.maxConcurrentBodyBytes,
    Math.max(DEFAULT_MAX_CONCURRENT_BODY_BYTES, maxBodyBytes),
    {
      min: maxBodyBytes,
      integer: true,
      unit: 'bytes, at least maxBodyBytes',
    },
  );
  const scheduler = checkKind(NAME, 'scheduler', options.scheduler, 'scheduler', asyncScheduler);
  return { accessKeyDigests, sourceArns, maxBodyBytes, maxConcurrentBodyBytes, scheduler };
}
