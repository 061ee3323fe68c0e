import { Agent } from 'node:http';
import { InvalidOptionError, typeNameOf } from '../../errors/InvalidOptionError.js';
import { checkHttpUrl } from '../../options/checkHttpUrl.js';
import { checkNumber } from '../../options/checkNumber.js';

export const NAME = 'openSearchDestination';

const MIB = 1_048_576;

/** Firehose's index rotation periods. `OneDay` is the default. */
export const INDEX_ROTATION_PERIODS = ['NoRotation', 'OneHour', 'OneDay', 'OneWeek', 'OneMonth'] as const;
export type IndexRotationPeriod = (typeof INDEX_ROTATION_PERIODS)[number];

/** Firehose's document id options: its own stable id per record (default), or none (OpenSearch makes one). */
export const DOCUMENT_ID_FORMATS = ['FIREHOSE_DEFAULT', 'NO_DOCUMENT_ID'] as const;
export type DocumentIdFormat = (typeof DOCUMENT_ID_FORMATS)[number];

/** What is backed up to S3: only the documents that failed (default), or every source record. */
export const OPENSEARCH_BACKUP_MODES = ['FailedDocumentsOnly', 'AllDocuments'] as const;
export type OpenSearchBackupMode = (typeof OPENSEARCH_BACKUP_MODES)[number];

/**
 * The three Firehose destinations that speak the bulk API. They differ only in names: metrics
 * (`DeliveryTo<name>.*`), the error output type, and the field names of failure records.
 */
export const OPENSEARCH_FLAVOURS = ['AmazonOpenSearchService', 'Elasticsearch', 'AmazonOpenSearchServerless'] as const;
export type OpenSearchFlavour = (typeof OPENSEARCH_FLAVOURS)[number];

/** Firehose's buffering for OpenSearch: 1–100 MiB (default 5 MiB), 0–900 s (default 300 s). */
export const OPENSEARCH_BUFFERING: { readonly maxBytes: number; readonly maxMs: number } = Object.freeze({
  maxBytes: 5 * MIB,
  maxMs: 300_000,
});
export const MIN_OPENSEARCH_BUFFER_BYTES = MIB;
export const MAX_OPENSEARCH_BUFFER_BYTES = 100 * MIB;
export const MAX_OPENSEARCH_BUFFER_MS = 900_000;

/** Firehose's retry duration for OpenSearch: 300 s by default, 0–7200 s. */
export const DEFAULT_OPENSEARCH_RETRY_DURATION_MS = 300_000;
export const MAX_OPENSEARCH_RETRY_DURATION_MS = 7_200_000;
/** How long a bulk request may take before it counts as failed (and is retried). */
export const DEFAULT_OPENSEARCH_REQUEST_TIMEOUT_MS = 180_000;

/**
 * What resolving a domain ARN needs of an `OpenSearchClient` (from `@aws-sdk/client-opensearch`): its `send`.
 * Declared here so that rx-firehose's types do not load the whole client's.
 */
export interface DescribeDomainClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<object>;
}

/** AWS credentials, as the AWS SDK's `AwsCredentialIdentity` (declared here so rx-firehose's types stay light). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Signing with AWS Signature Version 4, as Amazon OpenSearch Service and OpenSearch Serverless require. */
export interface OpenSearchSigV4Auth {
  readonly type: 'sigv4';
  /** The region the domain or collection is in, e.g. `us-east-1`. Default: the domain ARN's, or the endpoint host's (`….us-east-1.es.amazonaws.com`). */
  readonly region?: string | undefined;
  /** `es` for OpenSearch Service domains (default), `aoss` for OpenSearch Serverless collections. */
  readonly service?: 'es' | 'aoss' | undefined;
  /** Credentials or a provider of them. Default: the AWS SDK's default credential chain (environment, profile, SSO, container, instance role). */
  readonly credentials?: (AwsCredentials | (() => Promise<AwsCredentials>)) | undefined;
}

/** HTTP basic authentication, for self-managed clusters (the OpenSearch security plugin's internal users). */
export interface OpenSearchBasicAuth {
  readonly type: 'basic';
  readonly username: string;
  readonly password: string;
}

export interface OpenSearchDestinationOptions {
  /**
   * The cluster's (or Serverless collection's) endpoint, `https://…` (or `http://` for local clusters),
   * Firehose's `ClusterEndpoint` / `CollectionEndpoint`. Give this or `domainArn`.
   */
  readonly endpoint?: string | URL | undefined;
  /**
   * An Amazon OpenSearch Service domain (`arn:aws:es:<region>:<account>:domain/<name>`), resolved once, before
   * the first request, with `DescribeDomain` (its endpoint, or its VPC endpoint) through `openSearchClient`.
   */
  readonly domainArn?: string | undefined;
  /** The `OpenSearchClient` (from `@aws-sdk/client-opensearch`) that resolves `domainArn`; rx-firehose never builds one. */
  readonly openSearchClient?: DescribeDomainClient | undefined;
  /** The index: 1–80 characters, lowercase, none of `\ / * ? " < > | , #`, space or `:`, not starting with `_`, `-` or `+`. */
  readonly indexName: string;
  /** A time suffix from each record's arrival time (UTC). Default `OneDay` (`myindex-2016-02-25`). */
  readonly indexRotationPeriod?: IndexRotationPeriod | undefined;
  /** The mapping type, for Elasticsearch 6 and earlier (sent as `_type`). Default none. 0–100 characters. */
  readonly typeName?: string | undefined;
  /** `FIREHOSE_DEFAULT` (default): a stable id per record, so a retry overwrites instead of duplicating. `NO_DOCUMENT_ID`: OpenSearch makes the ids. */
  readonly documentIdFormat?: DocumentIdFormat | undefined;
  /** How long to retry failed documents, counted from the first failure: 0–7,200,000 ms, default 300,000. */
  readonly retryDurationMs?: number | undefined;
  /** Recommended buffering for `bufferBySizeOrTime`: `maxBytes` 1–100 MiB (default 5 MiB), `maxMs` 0–900,000 (default 300,000). */
  readonly buffering?: { readonly maxBytes?: number; readonly maxMs?: number } | undefined;
  /** What a pipeline built around this destination backs up to S3 (Firehose's `S3BackupMode`). Default `FailedDocumentsOnly`. */
  readonly backupMode?: OpenSearchBackupMode | undefined;
  /** Request signing (`sigv4`) or basic auth (`basic`). Default: none (a local cluster without security). */
  readonly auth?: OpenSearchSigV4Auth | OpenSearchBasicAuth | undefined;
  /** Which Firehose destination this is: it sets the metric names, error output type and failure fields. Default `AmazonOpenSearchService`. */
  readonly flavour?: OpenSearchFlavour | undefined;
  /** How long one bulk request may take, on the pipeline's scheduler. Default 180,000 ms. */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * The largest bulk request body: a batch whose NDJSON is larger is sent as several requests. 1 KiB – 100 MiB,
   * default 100 MiB (OpenSearch's default `http.max_content_length`). A cluster that still answers 413 gets the
   * request again in halves.
   */
  readonly maxRequestBytes?: number | undefined;
  /** The `http.Agent` or `https.Agent` to send with. Default Node's global agents. */
  readonly agent?: Agent | undefined;
}

/** Signing, once checked. */
export interface SigV4Config {
  readonly type: 'sigv4';
  readonly region: string;
  readonly service: 'es' | 'aoss';
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>) | undefined;
}

/** The checked options. */
export interface OpenSearchConfig {
  readonly endpoint: URL | undefined;
  readonly domainArn: { readonly arn: string; readonly region: string; readonly domainName: string } | undefined;
  readonly openSearchClient: DescribeDomainClient | undefined;
  readonly indexName: string;
  readonly indexRotationPeriod: IndexRotationPeriod;
  readonly typeName: string | undefined;
  readonly documentIdFormat: DocumentIdFormat;
  readonly retryDurationMs: number;
  readonly buffering: { readonly maxBytes: number; readonly maxMs: number };
  readonly backupMode: OpenSearchBackupMode;
  readonly auth: SigV4Config | { readonly type: 'basic'; readonly header: string } | undefined;
  readonly flavour: OpenSearchFlavour;
  readonly requestTimeoutMs: number;
  readonly maxRequestBytes: number;
  readonly agent: Agent | undefined;
}

const DOMAIN_ARN = /^arn:aws[a-z-]*:es:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):domain\/([a-z][a-z0-9-]{2,27})$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Characters OpenSearch refuses in index names. */
const INDEX_FORBIDDEN = /[\\/*?"<>| ,#:]/;
/** The rotation suffix is at most 14 characters (`-2016-02-25-13`); OpenSearch allows 255 bytes. Firehose allows 1–80 characters. */
const MAX_INDEX_NAME_CHARS = 80;
const MAX_TYPE_NAME_CHARS = 100;

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option (never showing a password). */
export function checkOpenSearchOptions(options: OpenSearchDestinationOptions): OpenSearchConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with indexName and endpoint or domainArn');

  const endpoint =
    options.endpoint === undefined
      ? undefined
      : checkHttpUrl(NAME, 'endpoint', options.endpoint, {
          allowed: 'an https: (or http:) URL of the cluster, without credentials, path, query or fragment',
          credentialsGoTo: 'pass them as auth',
          originOnly: true,
        });
  const domainArn = options.domainArn === undefined ? undefined : checkDomainArn(options.domainArn);
  if ((endpoint === undefined) === (domainArn === undefined)) {
    throw new InvalidOptionError(
      NAME,
      'endpoint',
      options.endpoint,
      'given, or else domainArn, but not both (Firehose: ClusterEndpoint or DomainARN)',
    );
  }
  const openSearchClient = options.openSearchClient;
  if (
    openSearchClient !== undefined &&
    (typeof openSearchClient !== 'object' || openSearchClient === null || typeof openSearchClient.send !== 'function')
  ) {
    throw new InvalidOptionError(NAME, 'openSearchClient', openSearchClient, 'an OpenSearchClient from @aws-sdk/client-opensearch');
  }
  if (domainArn !== undefined && openSearchClient === undefined) {
    throw new InvalidOptionError(
      NAME,
      'openSearchClient',
      openSearchClient,
      'an OpenSearchClient from @aws-sdk/client-opensearch, to resolve domainArn with DescribeDomain',
    );
  }

  const flavour = oneOf('flavour', options.flavour, OPENSEARCH_FLAVOURS, 'AmazonOpenSearchService');
  const indexName = checkIndexName(options.indexName);
  const indexRotationPeriod = oneOf('indexRotationPeriod', options.indexRotationPeriod, INDEX_ROTATION_PERIODS, 'OneDay');
  const typeName = options.typeName === '' ? undefined : options.typeName;
  if (typeName !== undefined) {
    if (typeof typeName !== 'string' || typeName.length > MAX_TYPE_NAME_CHARS || (typeName.startsWith('_') && typeName !== '_doc')) {
      throw new InvalidOptionError(
        NAME,
        'typeName',
        typeName,
        `a string of 0–${MAX_TYPE_NAME_CHARS} characters not starting with "_" (or "_doc")`,
      );
    }
    if (flavour === 'AmazonOpenSearchServerless')
      throw new InvalidOptionError(NAME, 'typeName', typeName, 'left out for OpenSearch Serverless, which has no mapping types');
  }
  const documentIdFormat = oneOf('documentIdFormat', options.documentIdFormat, DOCUMENT_ID_FORMATS, 'FIREHOSE_DEFAULT');
  const retryDurationMs = checkNumber(NAME, 'retryDurationMs', options.retryDurationMs, DEFAULT_OPENSEARCH_RETRY_DURATION_MS, {
    min: 0,
    max: MAX_OPENSEARCH_RETRY_DURATION_MS,
    unit: 'ms',
  });
  const buffering = checkBuffering(options.buffering);
  const backupMode = oneOf('backupMode', options.backupMode, OPENSEARCH_BACKUP_MODES, 'FailedDocumentsOnly');
  const requestTimeoutMs = checkNumber(NAME, 'requestTimeoutMs', options.requestTimeoutMs, DEFAULT_OPENSEARCH_REQUEST_TIMEOUT_MS, {
    min: 1,
    max: 3_600_000,
    integer: true,
    unit: 'ms',
  });
  const maxRequestBytes = checkNumber(NAME, 'maxRequestBytes', options.maxRequestBytes, MAX_OPENSEARCH_BUFFER_BYTES, {
    min: 1024,
    max: MAX_OPENSEARCH_BUFFER_BYTES,
    integer: true,
    unit: 'bytes',
  });
  const agent = options.agent;
  if (agent !== undefined && !(agent instanceof Agent)) throw new InvalidOptionError(NAME, 'agent', agent, 'an http.Agent or https.Agent');

  return {
    endpoint,
    domainArn,
    openSearchClient,
    indexName,
    indexRotationPeriod:
      flavour === 'AmazonOpenSearchServerless' && options.indexRotationPeriod === undefined ? 'NoRotation' : indexRotationPeriod,
    typeName,
    documentIdFormat,
    retryDurationMs,
    buffering,
    backupMode,
    auth: checkAuth(options.auth, flavour, domainArn?.region ?? (endpoint === undefined ? undefined : regionOfHost(endpoint.hostname))),
    flavour,
    requestTimeoutMs,
    maxRequestBytes,
    agent,
  };
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(NAME, option, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

function checkDomainArn(value: unknown): { arn: string; region: string; domainName: string } {
  const match = typeof value === 'string' ? DOMAIN_ARN.exec(value) : null;
  if (match === null)
    throw new InvalidOptionError(
      NAME,
      'domainArn',
      value,
      'an OpenSearch Service domain ARN: arn:aws:es:<region>:<12-digit account>:domain/<name>',
    );
  return { arn: value as string, region: match[1]!, domainName: match[3]! };
}

/** OpenSearch's rules for index names (lowercase, no forbidden characters, no leading `_ - +`, not `.` or `..`), within Firehose's 1–80 characters. */
function checkIndexName(value: unknown): string {
  const allowed = `1–${MAX_INDEX_NAME_CHARS} characters, lowercase, without \\ / * ? " < > | , # : or spaces, not starting with _ - or +, and not "." or ".."`;
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > MAX_INDEX_NAME_CHARS ||
    value !== value.toLowerCase() ||
    INDEX_FORBIDDEN.test(value) ||
    /^[_\-+]/.test(value) ||
    value === '.' ||
    value === '..'
  ) {
    throw new InvalidOptionError(NAME, 'indexName', value, allowed);
  }
  return value;
}

function checkBuffering(value: unknown): { maxBytes: number; maxMs: number } {
  if (value === undefined) return OPENSEARCH_BUFFERING;
  if (typeof value !== 'object' || value === null)
    throw new InvalidOptionError(NAME, 'buffering', value, 'an object with maxBytes and maxMs');
  const { maxBytes, maxMs } = value as { maxBytes?: unknown; maxMs?: unknown };
  return {
    maxBytes: checkNumber(NAME, 'buffering.maxBytes', maxBytes, OPENSEARCH_BUFFERING.maxBytes, {
      min: MIN_OPENSEARCH_BUFFER_BYTES,
      max: MAX_OPENSEARCH_BUFFER_BYTES,
      integer: true,
      unit: 'bytes, 1–100 MiB',
    }),
    maxMs: checkNumber(NAME, 'buffering.maxMs', maxMs, OPENSEARCH_BUFFERING.maxMs, {
      min: 0,
      max: MAX_OPENSEARCH_BUFFER_MS,
      integer: true,
      unit: 'ms',
    }),
  };
}

/** The region in an AWS endpoint's host name: `search-d-abc.us-east-1.es.amazonaws.com`, `id.us-east-1.aoss.amazonaws.com`. */
function regionOfHost(hostname: string): string | undefined {
  return /\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.(?:es|aoss)\.amazonaws\.com(?:\.cn)?$/.exec(hostname)?.[1];
}

function checkAuth(value: unknown, flavour: OpenSearchFlavour, impliedRegion: string | undefined): OpenSearchConfig['auth'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null)
    throw new InvalidOptionError(NAME, 'auth', value, "{ type: 'sigv4', … } or { type: 'basic', username, password }");
  const auth = value as { readonly type?: unknown; readonly username?: unknown; readonly password?: unknown } & Partial<
    Omit<OpenSearchSigV4Auth, 'type'>
  >;
  if (auth.type === 'basic') {
    const { username, password } = auth;
    if (typeof username !== 'string' || username === '' || username.includes(':')) {
      throw new InvalidOptionError(NAME, 'auth.username', username, 'a non-empty string without ":"');
    }
    if (typeof password !== 'string') {
      throw new InvalidOptionError(NAME, 'auth.password', typeof password === 'string' ? '(not shown)' : typeNameOf(password), 'a string');
    }
    return { type: 'basic', header: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` };
  }
  if (auth.type === 'sigv4') {
    if (auth.region !== undefined && (typeof auth.region !== 'string' || !REGION.test(auth.region))) {
      throw new InvalidOptionError(NAME, 'auth.region', auth.region, 'an AWS region name such as us-east-1');
    }
    const service = auth.service ?? (flavour === 'AmazonOpenSearchServerless' ? 'aoss' : 'es');
    if (service !== 'es' && service !== 'aoss')
      throw new InvalidOptionError(NAME, 'auth.service', service, "'es' (OpenSearch Service) or 'aoss' (OpenSearch Serverless)");
    const credentials = auth.credentials;
    const isIdentity =
      typeof credentials === 'object' &&
      credentials !== null &&
      typeof credentials.accessKeyId === 'string' &&
      typeof credentials.secretAccessKey === 'string';
    if (credentials !== undefined && typeof credentials !== 'function' && !isIdentity) {
      throw new InvalidOptionError(
        NAME,
        'auth.credentials',
        typeNameOf(credentials),
        '{ accessKeyId, secretAccessKey, sessionToken? } or a function that resolves to them',
      );
    }
    const region = auth.region ?? impliedRegion;
    if (region === undefined) {
      throw new InvalidOptionError(
        NAME,
        'auth.region',
        region,
        'an AWS region name such as us-east-1 (needed to sign: the endpoint is not an AWS host that names one)',
      );
    }
    return { type: 'sigv4', region, service, credentials };
  }
  throw new InvalidOptionError(NAME, 'auth.type', auth.type, "'sigv4' or 'basic'");
}
