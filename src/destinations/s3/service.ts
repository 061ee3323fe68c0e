import type { CompletedPart } from '@aws-sdk/client-s3';
import { asyncScheduler, timer, type SchedulerLike } from 'rxjs';
import { optionalPeer } from '../../aws/optionalPeer.js';
import { DeliveryError } from '../DeliveryError.js';
import { NAME, type S3Config } from './options.js';

/** The SDK's commands, loaded at the first upload: importing rx-firehose loads no AWS SDK. */
const s3Sdk = optionalPeer('@aws-sdk/client-s3', NAME, () => import('@aws-sdk/client-s3'));

/** S3 errors about the request itself: retrying the same object cannot succeed. Everything else is retried (Firehose retries S3 for 24 h). */
const PERMANENT = new Set([
  'MissingPeerDependencyError',
  'EntityTooLarge',
  'EntityTooSmall',
  'InvalidArgument',
  'InvalidRequest',
  'KeyTooLongError',
  'MalformedXML',
  'InvalidPart',
  'InvalidPartOrder',
]);
/** Parts of one multipart upload in flight at once. */
const PART_CONCURRENCY = 4;

/**
 * Stores one object: a single PutObject up to the multipart threshold, a multipart upload (parts of
 * `partSizeBytes`, four at a time, aborted on failure) above it. Returns `s3://bucket/key`. SDK errors
 * become {@link DeliveryError}s `S3.<Code>`. The only code of the S3 destination that talks to the network.
 */
export async function putObject(
  config: S3Config,
  key: string,
  body: Uint8Array,
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Promise<string> {
  const { client, bucket, headers } = config;
  const limited = limitedBy(config.requestTimeoutMs, scheduler, signal);
  try {
    const { PutObjectCommand } = await s3Sdk();
    if (body.byteLength <= config.multipartThresholdBytes) {
      await limited((abortSignal) =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, ...headers }), {
          abortSignal,
        }),
      );
    } else {
      await multipartUpload(config, key, body, limited);
    }
    return `s3://${bucket}/${key}`;
  } catch (err) {
    throw toDeliveryError(err);
  }
}

/** Runs one request with its own abort signal: aborted with the attempt's `signal`, or after `timeoutMs` on `scheduler` (then it fails with `S3.RequestTimeout`). */
type Limited = <R>(request: (abortSignal: AbortSignal) => Promise<R>) => Promise<R>;

function limitedBy(timeoutMs: number, scheduler: SchedulerLike, signal: AbortSignal): Limited {
  return async (request) => {
    const limit = new AbortController();
    const onAbort = (): void => limit.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timeout = new DeliveryError('S3.RequestTimeout', `S3 did not answer within ${timeoutMs} ms; the request was aborted`);
    const clock = timer(timeoutMs, scheduler).subscribe(() => limit.abort(timeout));
    try {
      return await request(limit.signal);
    } catch (err) {
      if (limit.signal.reason === timeout) throw timeout;
      throw err;
    } finally {
      clock.unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  };
}

async function multipartUpload(config: S3Config, key: string, body: Uint8Array, limited: Limited): Promise<void> {
  const { client, bucket, headers } = config;
  const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } = await s3Sdk();
  const { UploadId } = await limited((abortSignal) =>
    client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...headers }), { abortSignal }),
  );
  try {
    const count = Math.ceil(body.byteLength / config.partSizeBytes);
    const parts: CompletedPart[] = new Array(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const n = next++;
        const chunk = body.subarray(n * config.partSizeBytes, Math.min(body.byteLength, (n + 1) * config.partSizeBytes));
        const { ETag } = await limited((abortSignal) =>
          client.send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n + 1, Body: chunk, ContentLength: chunk.byteLength }),
            { abortSignal },
          ),
        );
        parts[n] = { ETag, PartNumber: n + 1 };
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, count) }, worker));
    await limited((abortSignal) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }), {
        abortSignal,
      }),
    );
  } catch (err) {
    // Best effort: an upload left open costs storage until a lifecycle rule removes it.
    await limitedBy(
      config.requestTimeoutMs,
      asyncScheduler,
      new AbortController().signal,
    )((abortSignal) => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }), { abortSignal })).catch(
      () => undefined,
    );
    throw err;
  }
}

function toDeliveryError(err: unknown): unknown {
  if (err instanceof DeliveryError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    Code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const code = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = `${typeof e.message === 'string' && e.message !== '' ? e.message : code}${status === undefined ? '' : ` (HTTP ${status})`}`;
  return new DeliveryError(`S3.${code}`, message, { permanent: PERMANENT.has(code), cause: err });
}
