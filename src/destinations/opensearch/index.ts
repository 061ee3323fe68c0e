import type { SignatureV4 } from '@smithy/signature-v4';
import { optionalPeer } from '../../aws/optionalPeer.js';
import { dataOf } from '../../records/dataOf.js';
import type { Destination } from '../Destination.js';
import { buildBulkRequest, documentTargetOf, type BulkRequest, type DocumentTarget } from './buildBulkRequest.js';
import {
  checkOpenSearchOptions,
  type OpenSearchBackupMode,
  type OpenSearchConfig,
  type OpenSearchDestinationOptions,
  type OpenSearchFlavour,
  type SigV4Config,
} from './options.js';
import { resolveDomainEndpoint } from './resolveDomainEndpoint.js';
import { sendBulk } from './sendBulk.js';
import type { BulkTarget } from './service.js';

export type {
  OpenSearchDestinationOptions,
  OpenSearchSigV4Auth,
  OpenSearchBasicAuth,
  IndexRotationPeriod,
  DocumentIdFormat,
  OpenSearchBackupMode,
  OpenSearchFlavour,
} from './options.js';
export { OPENSEARCH_BUFFERING } from './options.js';
export type { BulkRequest, DocumentTarget } from './buildBulkRequest.js';

/** An OpenSearch destination: a {@link Destination} with Firehose's names and recommended buffering for it. */
export interface OpenSearchDestination extends Destination<BulkRequest> {
  /** `AmazonOpenSearchService` (metrics `DeliveryToAmazonOpenSearchService.*`), `Elasticsearch` or `AmazonOpenSearchServerless`. */
  readonly name: OpenSearchFlavour;
  /** `AmazonOpenSearchService-failed`, `elasticsearch-failed` or `AmazonOpenSearchServerless-failed`. */
  readonly errorOutputType: string;
  readonly retryDurationMs: number;
  /** Firehose's buffering for this destination (default 5 MiB or 300 s): pass it to `bufferBySizeOrTime` before `deliverTo`. */
  readonly recommendedBuffering: { readonly maxBytes: number; readonly maxMs: number };
  /** Firehose's `S3BackupMode`: `FailedDocumentsOnly`, or `AllDocuments` (back up every source record, e.g. with `teeBackup`). */
  readonly backupMode: OpenSearchBackupMode;
}

const NAMES: Readonly<Record<OpenSearchFlavour, { errorOutputType: string; errorPrefix: string; fields: 'es' | 'os' }>> = {
  AmazonOpenSearchService: { errorOutputType: 'AmazonOpenSearchService-failed', errorPrefix: 'OS', fields: 'es' },
  Elasticsearch: { errorOutputType: 'elasticsearch-failed', errorPrefix: 'ES', fields: 'es' },
  AmazonOpenSearchServerless: { errorOutputType: 'AmazonOpenSearchServerless-failed', errorPrefix: 'OS', fields: 'os' },
};

/**
 * Indexes records into OpenSearch (Amazon OpenSearch Service, OpenSearch Serverless, a self-managed cluster or
 * Elasticsearch) with the bulk API, as Firehose's OpenSearch destination does.
 *
 * <span class="informal">One JSON record, one document: `_bulk` index actions into a rotated index, failed documents retried alone.</span>
 *
 * ```
 * batch ──build once──▶ NDJSON  {"index":{"_index":"logs-2016-02-25","_id":"4957…842.0"}}\n{…record…}\n …
 *       ──POST /_bulk──▶ cluster
 *       ◀── 200 errors:false                    accepted
 *       ◀── 200 errors:true, items 429 / 5xx    partial: those documents alone are sent again (same lines, same ids)
 *       ◀── 200 errors:true, items 4xx          partial: those documents go to the error output, not retried
 *       ◀── 5xx / 429 / 403 / no answer         the whole request again, with backoff, within retryDurationMs
 *       ◀── 413                                 cut in halves and sent again, down to single documents
 * ```
 *
 * Each record must be a JSON object in UTF-8 (line breaks inside are sent as spaces); any other record goes
 * to the error output with `OS.MalformedData`. It is indexed into `indexName` with Firehose's rotation
 * suffix for its arrival time (`OneDay` by default: `myindex-2016-02-25`; see `rotatedIndexName`), with
 * `typeName` as `_type` when set (Elasticsearch 6 and earlier), and with Firehose's document id
 * (`FIREHOSE_DEFAULT`, see `firehoseDocumentId`): the id is fixed when the batch is built, so a retry
 * overwrites the document instead of indexing it twice. With `NO_DOCUMENT_ID` the cluster makes ids, and a
 * retry after a lost answer can duplicate documents.
 *
 * Documents that finally fail become failure records under `AmazonOpenSearchService-failed` with
 * `errorCode` the item's HTTP status (`"400"`, `"429"`) or a request-level code (`OS.AccessDenied`,
 * `OS.ClusterError`, `OS.ConnectionFailed`, …), `errorMessage` the cluster's error, and Firehose's extra
 * fields `esDocumentId`, `esIndexName`, `esTypeName` (`osDocumentId`, `osIndexName` for Serverless).
 *
 * The endpoint is `endpoint`, or `domainArn` resolved once with `DescribeDomain` before the first request
 * (a failed resolution fails that send and is tried again on the next). Requests are signed with SigV4
 * (`auth: { type: 'sigv4' }`, service `es`, or `aoss` for Serverless, credentials from the AWS SDK's default
 * chain unless given) or carry basic auth.
 *
 * ## Example
 * ```ts
 * import { OpenSearchClient } from '@aws-sdk/client-opensearch';
 * import { directoryDestination, openSearchDestination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const logs = openSearchDestination({
 *   domainArn: 'arn:aws:es:us-east-1:123456789012:domain/logs',
 *   openSearchClient: new OpenSearchClient({ region: 'us-east-1' }),
 *   indexName: 'app-logs',
 *   indexRotationPeriod: 'OneDay',
 *   auth: { type: 'sigv4' },
 * });
 * records$.pipe(
 *   bufferBySizeOrTime(logs.recommendedBuffering),
 *   deliverTo(logs, { errorOutput: directoryDestination({ path: './failed' }) }),
 * ).subscribe((result) => console.log(result.status, result.location));
 * ```
 *
 * @param options The endpoint or domain ARN, the index and its rotation, type name, document ids, retry
 * duration (default 300 s), buffering, backup mode, authentication and flavour.
 * @returns A destination for `deliverTo`, named `AmazonOpenSearchService` (metrics `DeliveryToAmazonOpenSearchService.*`).
 * @throws {InvalidOptionError} at the call, for an invalid option (a password is never shown).
 * @see rotatedIndexName for the index suffixes, firehoseDocumentId for the ids.
 */
export function openSearchDestination(options: OpenSearchDestinationOptions): OpenSearchDestination {
  const config = checkOpenSearchOptions(options);
  const names = NAMES[config.flavour];
  // Where each record went, decided once when its batch was built: its failure record names the same.
  const targets = new WeakMap<object, DocumentTarget>();
  let bulkTarget: Promise<BulkTarget> | undefined;

  const targetOf = (record: unknown, data: Uint8Array, nowMs: number): DocumentTarget => {
    const known = typeof record === 'object' && record !== null ? targets.get(record) : undefined;
    if (known !== undefined) return known;
    const target = documentTargetOf(config, record, data, nowMs);
    if (typeof record === 'object' && record !== null) targets.set(record, target);
    return target;
  };

  return {
    name: config.flavour,
    errorOutputType: names.errorOutputType,
    retryDurationMs: config.retryDurationMs,
    recommendedBuffering: config.buffering,
    backupMode: config.backupMode,
    build(batch, { batchId, scheduler }) {
      const nowMs = scheduler.now();
      const built = buildBulkRequest(
        batch,
        batchId,
        (record, data) => targetOf(record, data, nowMs),
        names.errorPrefix,
        config.maxRequestBytes,
      );
      // A record that cannot be indexed still had an index, type and id it was meant for: its failure record names them.
      for (const { index } of built.failed ?? []) {
        try {
          targetOf(batch[index], dataOf(batch[index]), nowMs);
        } catch {
          // No bytes at all: the failure record names no id.
        }
      }
      return built;
    },
    async send(request, attempt) {
      // Resolved once; a failure is forgotten, so the next send tries again.
      const pending = (bulkTarget ??= resolveTarget(config, names.errorPrefix, attempt.signal));
      let target: BulkTarget;
      try {
        target = await pending;
      } catch (err) {
        if (bulkTarget === pending) bulkTarget = undefined;
        throw err;
      }
      return sendBulk(request, target, attempt);
    },
    failureFields(record) {
      const target = typeof record === 'object' && record !== null ? targets.get(record) : undefined;
      if (names.fields === 'os') return { osDocumentId: target?.documentId ?? null, osIndexName: target?.indexName ?? null };
      return { esDocumentId: target?.documentId ?? null, esIndexName: target?.indexName ?? null, esTypeName: config.typeName ?? null };
    },
  };
}

async function resolveTarget(config: OpenSearchConfig, errorPrefix: string, signal: AbortSignal): Promise<BulkTarget> {
  const endpoint =
    config.endpoint ?? (await resolveDomainEndpoint(config.openSearchClient!, config.domainArn!.domainName, errorPrefix, signal));
  return {
    endpoint,
    signer: config.auth?.type === 'sigv4' ? await signerFor(config.auth) : undefined,
    authorization: config.auth?.type === 'basic' ? config.auth.header : undefined,
    agent: config.agent,
    requestTimeoutMs: config.requestTimeoutMs,
    errorPrefix,
  };
}

/** The AWS SDK's default credential chain, an optional peer dependency loaded when no credentials are given. */
const credentialChain = optionalPeer(
  '@aws-sdk/credential-provider-node',
  'openSearchDestination',
  () => import('@aws-sdk/credential-provider-node'),
);

/** A SigV4 signer; the AWS SDK's default credential chain unless credentials were given. Loaded on first use. */
async function signerFor(auth: SigV4Config): Promise<SignatureV4> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@smithy/core/checksum')]);
  const credentials = auth.credentials ?? (await credentialChain()).defaultProvider();
  return new SignatureV4({ credentials, region: auth.region, service: auth.service, sha256: Sha256 });
}
