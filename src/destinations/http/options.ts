import { Agent } from 'node:http';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkStreamName } from '../../keys/checkStreamName.js';
import { checkAgentAndCa } from '../../options/checkAgentAndCa.js';
import { checkHttpUrl } from '../../options/checkHttpUrl.js';
import { checkNumber } from '../../options/checkNumber.js';
import { commonAttributesProblem } from '../../protocols/httpEndpoint/commonAttributesProblem.js';
import { MAX_ACCESS_KEY_BYTES } from '../../protocols/httpEndpoint/protocol.js';

export const NAME = 'httpEndpointDestination';

/** Firehose's retry duration for an HTTP endpoint: 300 s by default, 0–7200 s. */
export const DEFAULT_HTTP_RETRY_DURATION_MS = 300_000;
export const MAX_HTTP_RETRY_DURATION_MS = 7_200_000;
/** Firehose gives an endpoint 3 minutes to answer. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 180_000;

export interface HttpEndpointDestinationOptions {
  /**
   * The endpoint: an `https:` URL (Firehose allows nothing else), or `http:` for local endpoints and tests.
   * Sent as is, path and query included. Credentials in the URL are refused: use `accessKey`.
   */
  readonly url: string | URL;
  /**
   * Sent verbatim in `X-Amz-Firehose-Access-Key`: an API key, a token, or several fields in one string.
   * Up to 4096 printable ASCII characters. It never appears in errors, results or failure records.
   */
  readonly accessKey?: string | undefined;
  /** Sent in `X-Amz-Firehose-Common-Attributes`: at most 50 entries, names of 1–256 characters, string values of up to 1024. */
  readonly commonAttributes?: Readonly<Record<string, string>> | undefined;
  /** `NONE` (default) or `GZIP` (the body is gzipped and sent with `Content-Encoding: gzip`). */
  readonly contentEncoding?: 'NONE' | 'GZIP' | undefined;
  /** How long a request may take, from sending to the end of the response, on the pipeline's scheduler. Default 180,000 (3 minutes, as Firehose). */
  readonly requestTimeoutMs?: number | undefined;
  /** How long to retry a batch, counted from its first failure: 0–7,200,000 ms, default 300,000. 0 disables retries. */
  readonly retryDurationMs?: number | undefined;
  /** `X-Amz-Firehose-Source-Arn`. Default `arn:aws:firehose:<region>:<accountId>:deliverystream/<streamName>`. */
  readonly sourceArn?: string | undefined;
  /** The stream name in the default source ARN: 1–64 characters of `[a-zA-Z0-9_.-]`. Default `rx-firehose`. */
  readonly streamName?: string | undefined;
  /** The region in the default source ARN. Default `us-east-1`. */
  readonly region?: string | undefined;
  /** The account in the default source ARN: 12 digits. Default `000000000000`. */
  readonly accountId?: string | undefined;
  /** The `http.Agent` or `https.Agent` to send with (connection reuse, proxies, TLS settings). Default Node's global agents. */
  readonly agent?: Agent | undefined;
  /** Extra trusted certificate authorities (PEM) for an `https:` URL, e.g. a self-signed test certificate. Default the platform's. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
}

/** The checked options. */
export interface HttpEndpointConfig {
  readonly url: URL;
  /** The URL without query and fragment, as results name it. */
  readonly location: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly accessKey: string | undefined;
  readonly gzip: boolean;
  readonly requestTimeoutMs: number;
  readonly retryDurationMs: number;
  readonly sourceArn: string;
  readonly agent: Agent | undefined;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
}

const ARN = /^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream\/[a-zA-Z0-9_.-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option (never showing the access key). */
export function checkHttpEndpointOptions(options: HttpEndpointDestinationOptions): HttpEndpointConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with at least url');
  const url = checkHttpUrl(NAME, 'url', options.url, {
    allowed: 'an http: or https: URL without credentials',
    credentialsGoTo: 'pass a key as accessKey',
  });

  const accessKey = options.accessKey;
  if (
    accessKey !== undefined &&
    (typeof accessKey !== 'string' || !PRINTABLE_ASCII.test(accessKey) || accessKey.length > MAX_ACCESS_KEY_BYTES)
  ) {
    // The value is a secret: the message describes it without showing it.
    const shown = typeof accessKey === 'string' ? `a string of ${accessKey.length} characters (not shown)` : accessKey;
    throw new InvalidOptionError(NAME, 'accessKey', shown, `1 to ${MAX_ACCESS_KEY_BYTES} printable ASCII characters`);
  }

  const commonAttributes = options.commonAttributes;
  if (commonAttributes !== undefined) {
    const problem = commonAttributesProblem(commonAttributes);
    if (problem !== undefined) {
      throw new InvalidOptionError(
        NAME,
        'commonAttributes',
        commonAttributes,
        `an object of at most 50 string values, names of 1–256 and values of 0–1024 characters (it ${problem})`,
      );
    }
  }

  const contentEncoding = options.contentEncoding ?? 'NONE';
  if (contentEncoding !== 'NONE' && contentEncoding !== 'GZIP')
    throw new InvalidOptionError(NAME, 'contentEncoding', contentEncoding, "'NONE' or 'GZIP'");

  const requestTimeoutMs = checkNumber(NAME, 'requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, {
    min: 1,
    max: 3_600_000,
    integer: true,
    unit: 'ms',
  });
  const retryDurationMs = checkNumber(NAME, 'retryDurationMs', options.retryDurationMs, DEFAULT_HTTP_RETRY_DURATION_MS, {
    min: 0,
    max: MAX_HTTP_RETRY_DURATION_MS,
    unit: 'ms',
  });

  const sourceArn = checkSourceArn(options);

  const { agent, ca } = checkAgentAndCa(NAME, options.agent, options.ca, url, 'url');

  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'X-Amz-Firehose-Source-Arn': sourceArn,
  };
  if (commonAttributes !== undefined) headers['X-Amz-Firehose-Common-Attributes'] = asciiJson({ commonAttributes });
  if (contentEncoding === 'GZIP') headers['Content-Encoding'] = 'gzip';

  return {
    url,
    location: `${url.origin}${url.pathname}`,
    headers,
    accessKey,
    gzip: contentEncoding === 'GZIP',
    requestTimeoutMs,
    retryDurationMs,
    sourceArn,
    agent,
    ca,
  };
}

function checkSourceArn(options: HttpEndpointDestinationOptions): string {
  if (options.sourceArn !== undefined) {
    for (const option of ['streamName', 'region', 'accountId'] as const) {
      if (options[option] !== undefined)
        throw new InvalidOptionError(NAME, option, options[option], 'left out when sourceArn is given (the ARN names them)');
    }
    if (typeof options.sourceArn !== 'string' || !ARN.test(options.sourceArn)) {
      throw new InvalidOptionError(
        NAME,
        'sourceArn',
        options.sourceArn,
        'a Firehose stream ARN: arn:aws:firehose:<region>:<12-digit account>:deliverystream/<name>',
      );
    }
    return options.sourceArn;
  }
  const streamName = checkStreamName(NAME, 'streamName', options.streamName ?? 'rx-firehose');
  const region = options.region ?? 'us-east-1';
  if (typeof region !== 'string' || !REGION.test(region))
    throw new InvalidOptionError(NAME, 'region', region, 'an AWS region name such as us-east-1');
  const accountId = options.accountId ?? '000000000000';
  if (typeof accountId !== 'string' || !ACCOUNT.test(accountId))
    throw new InvalidOptionError(NAME, 'accountId', accountId, 'a 12-digit AWS account id, as a string');
  return `arn:aws:firehose:${region}:${accountId}:deliverystream/${streamName}`;
}

/** JSON with every non-ASCII character escaped (`\uXXXX`), so it is a valid HTTP header value that parses back to the same object. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
