import { MissingPeerDependencyError } from '../errors/MissingPeerDependencyError.js';

/**
 * A loader of an optional peer dependency (an AWS SDK client package): the module is imported at the first
 * call, once, so that importing rx-firehose loads no AWS SDK and only the pieces that send a command load
 * theirs. A missing package rejects with {@link MissingPeerDependencyError} (and the next call tries again).
 *
 * ```ts
 * const s3 = optionalPeer('@aws-sdk/client-s3', 's3Destination', () => import('@aws-sdk/client-s3'));
 * const { PutObjectCommand } = await s3();
 * ```
 */
export function optionalPeer<T>(packageName: string, neededBy: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      const missing =
        (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`'${packageName}'`);
      throw missing ? new MissingPeerDependencyError(packageName, neededBy, { cause: err }) : err;
    }));
}
