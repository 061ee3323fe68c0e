import type {
  AbortMultipartUploadCommand,
  AbortMultipartUploadCommandOutput,
  CompleteMultipartUploadCommand,
  CompleteMultipartUploadCommandOutput,
  CreateMultipartUploadCommand,
  CreateMultipartUploadCommandOutput,
  PutObjectCommand,
  PutObjectCommandOutput,
  UploadPartCommand,
  UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkNumber } from '../../options/checkNumber.js';
import { checkObjectStoreOptions, type ObjectStoreLayout, type ObjectStoreOptions } from '../objectStore/objectStoreOptions.js';

export const NAME = 's3Destination';
const MIB = 1_048_576;
/** S3's smallest part (all but the last) of a multipart upload. */
export const MIN_PART_BYTES = 5 * MIB;
/** S3's largest part. */
export const MAX_PART_BYTES = 5 * 1024 * MIB;

/** Options passed with each call: an attempt's requests are aborted when it times out or the pipeline stops. */
export interface S3SendOptions {
  readonly abortSignal?: AbortSignal;
}

/**
 * The five S3 calls `s3Destination` makes. An `S3Client` from `@aws-sdk/client-s3` fits (the caller builds
 * and configures it: region, credentials, endpoint, HTTP handler).
 */
export interface S3WriteClient {
  send(command: PutObjectCommand, options?: S3SendOptions): Promise<PutObjectCommandOutput>;
  send(command: CreateMultipartUploadCommand, options?: S3SendOptions): Promise<CreateMultipartUploadCommandOutput>;
  send(command: UploadPartCommand, options?: S3SendOptions): Promise<UploadPartCommandOutput>;
  send(command: CompleteMultipartUploadCommand, options?: S3SendOptions): Promise<CompleteMultipartUploadCommandOutput>;
  send(command: AbortMultipartUploadCommand, options?: S3SendOptions): Promise<AbortMultipartUploadCommandOutput>;
}

export interface S3DestinationOptions extends ObjectStoreOptions {
  /** An `S3Client` you configured (region, credentials, endpoint); rx-firehose never builds one. */
  readonly client: S3WriteClient;
  /** The bucket: 3–63 characters of lowercase letters, digits, `.` and `-`. */
  readonly bucket: string;
  /** Server-side encryption: `AES256` (SSE-S3), `aws:kms` or `aws:kms:dsse`. Default: the bucket's. */
  readonly serverSideEncryption?: 'AES256' | 'aws:kms' | 'aws:kms:dsse' | undefined;
  /** The KMS key for `aws:kms`/`aws:kms:dsse`. */
  readonly sseKmsKeyId?: string | undefined;
  /** `Content-Type` of objects. Default `application/octet-stream`, as Firehose. */
  readonly contentType?: string | undefined;
  /**
   * `Content-Encoding` of objects. Default none, as Firehose: a `.gz` object's bytes are gzip, and a
   * `Content-Encoding: gzip` header would make HTTP clients inflate it on download.
   */
  readonly contentEncoding?: string | undefined;
  /** Objects larger than this go up in parts (multipart upload). Default 16 MiB; at least 5 MiB. */
  readonly multipartThresholdBytes?: number | undefined;
  /** Part size of a multipart upload. Default 8 MiB; 5 MiB – 5 GiB. */
  readonly partSizeBytes?: number | undefined;
  /**
   * The longest one S3 request (a PutObject, or one call of a multipart upload) may take, on the pipeline's
   * scheduler. Past it the request is aborted and the attempt fails with `S3.RequestTimeout`, which is
   * retried like any S3 failure: a frozen connection never holds a batch (or a source's checkpoint) for
   * ever. Default 60,000 ms; 1 ms – 1 h.
   */
  readonly requestTimeoutMs?: number | undefined;
}

export interface S3Config extends ObjectStoreLayout {
  readonly client: S3WriteClient;
  readonly bucket: string;
  readonly headers: {
    readonly ContentType: string;
    readonly ContentEncoding?: string | undefined;
    readonly ServerSideEncryption?: 'AES256' | 'aws:kms' | 'aws:kms:dsse' | undefined;
    readonly SSEKMSKeyId?: string | undefined;
  };
  readonly multipartThresholdBytes: number;
  readonly partSizeBytes: number;
  readonly requestTimeoutMs: number;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SSE = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option. */
export function checkS3Options(options: S3DestinationOptions): S3Config {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with client and bucket');
  const { client, bucket } = options;
  if (typeof client !== 'object' || client === null || typeof (client as { send?: unknown }).send !== 'function') {
    throw new InvalidOptionError(NAME, 'client', client, 'an S3Client from @aws-sdk/client-s3');
  }
  if (typeof bucket !== 'string' || !BUCKET.test(bucket)) {
    throw new InvalidOptionError(
      NAME,
      'bucket',
      bucket,
      'a bucket name: 3–63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit',
    );
  }
  const sse = options.serverSideEncryption;
  if (sse !== undefined && !SSE.has(sse))
    throw new InvalidOptionError(NAME, 'serverSideEncryption', sse, "one of 'AES256', 'aws:kms', 'aws:kms:dsse'");
  if (options.sseKmsKeyId !== undefined && (sse === undefined || sse === 'AES256')) {
    throw new InvalidOptionError(
      NAME,
      'sseKmsKeyId',
      options.sseKmsKeyId,
      "used only with serverSideEncryption 'aws:kms' or 'aws:kms:dsse'",
    );
  }
  for (const option of ['contentType', 'contentEncoding'] as const) {
    const v = options[option];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InvalidOptionError(NAME, option, v, 'a non-empty string');
  }
  return {
    ...checkObjectStoreOptions(NAME, options),
    client,
    bucket,
    headers: {
      ContentType: options.contentType ?? 'application/octet-stream',
      ...(options.contentEncoding === undefined ? {} : { ContentEncoding: options.contentEncoding }),
      ...(sse === undefined ? {} : { ServerSideEncryption: sse }),
      ...(options.sseKmsKeyId === undefined ? {} : { SSEKMSKeyId: options.sseKmsKeyId }),
    },
    multipartThresholdBytes: checkNumber(NAME, 'multipartThresholdBytes', options.multipartThresholdBytes, 16 * MIB, {
      min: MIN_PART_BYTES,
      integer: true,
      unit: 'bytes',
    }),
    partSizeBytes: checkNumber(NAME, 'partSizeBytes', options.partSizeBytes, 8 * MIB, {
      min: MIN_PART_BYTES,
      max: MAX_PART_BYTES,
      integer: true,
      unit: 'bytes',
    }),
    requestTimeoutMs: checkNumber(NAME, 'requestTimeoutMs', options.requestTimeoutMs, 60_000, { min: 1, max: 3_600_000, unit: 'ms' }),
  };
}
