import type { DescribeDomainCommandOutput } from '@aws-sdk/client-opensearch';
import { optionalPeer } from '../../aws/optionalPeer.js';
import { DeliveryError } from '../DeliveryError.js';
import type { DescribeDomainClient } from './options.js';

/**
 * The endpoint of an Amazon OpenSearch Service domain, as Firehose finds it for a `DomainARN`: OpenSearch's
 * control plane `DescribeDomain`, then `https://` and `DomainStatus.Endpoint`, or `Endpoints.vpc` for a domain
 * in a VPC.
 *
 * Rejects with a retriable {@link DeliveryError}: `<prefix>.ResourceNotFound` when the domain does not exist
 * or has no endpoint yet (still being created), `<prefix>.AccessDenied` when the caller may not describe it,
 * `<prefix>.DescribeDomainFailed` for anything else.
 */
/** The control plane's commands, an optional peer dependency loaded when a domain is first resolved. */
const openSearchSdk = optionalPeer('@aws-sdk/client-opensearch', 'openSearchDestination', () => import('@aws-sdk/client-opensearch'));

export async function resolveDomainEndpoint(
  client: DescribeDomainClient,
  domainName: string,
  errorPrefix: string,
  signal: AbortSignal,
): Promise<URL> {
  // Loaded on first use: a pipeline that never resolves a domain never loads the SDK client.
  const { DescribeDomainCommand } = await openSearchSdk();
  let status;
  try {
    ({ DomainStatus: status } = (await client.send(new DescribeDomainCommand({ DomainName: domainName }), {
      abortSignal: signal,
    })) as DescribeDomainCommandOutput);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const name = (err as { name?: unknown }).name;
    const message = `DescribeDomain ${domainName}: ${(err as Error).message ?? String(err)}`;
    if (name === 'ResourceNotFoundException') throw new DeliveryError(`${errorPrefix}.ResourceNotFound`, message, { cause: err });
    if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException')
      throw new DeliveryError(`${errorPrefix}.AccessDenied`, message, { cause: err });
    throw new DeliveryError(`${errorPrefix}.DescribeDomainFailed`, message, { cause: err });
  }
  const host = status?.Endpoint ?? status?.Endpoints?.vpc;
  if (host === undefined || host === '') {
    throw new DeliveryError(
      `${errorPrefix}.ResourceNotFound`,
      `DescribeDomain ${domainName}: the domain has no endpoint yet${status?.Processing === true ? ' (it is still processing)' : ''}`,
    );
  }
  return new URL(`https://${host}`);
}
