import { DescribeDomainCommand, ResourceNotFoundException, type DomainStatus } from '@aws-sdk/client-opensearch';
import type { DescribeDomainClient } from '../../src/destinations/opensearch/options.js';

/**
 * A test double of the OpenSearch control plane's `DescribeDomain` (no AWS endpoint is reachable from the
 * project's machines): an object with the `send` of an `OpenSearchClient` that answers `DescribeDomainCommand`
 * from `domains`, and throws the SDK's own `ResourceNotFoundException` for any other domain, as the service does.
 */
export interface DescribeDomainTestDouble extends DescribeDomainClient {
  /** The domain names asked for, in order. */
  readonly calls: string[];
}

export function describeDomainTestDouble(
  domains: Record<string, Partial<DomainStatus> | (() => Partial<DomainStatus>)>,
): DescribeDomainTestDouble {
  const calls: string[] = [];
  const send = async (command: unknown): Promise<unknown> => {
    if (!(command instanceof DescribeDomainCommand))
      throw new Error(`this test double answers DescribeDomain only; got ${String((command as object)?.constructor?.name)}`);
    const name = command.input.DomainName!;
    calls.push(name);
    const domain = domains[name];
    if (domain === undefined)
      throw new ResourceNotFoundException({ message: `Domain not found: ${name}`, $metadata: { httpStatusCode: 409 } });
    const status = typeof domain === 'function' ? domain() : domain;
    return {
      DomainStatus: {
        DomainName: name,
        DomainId: `123456789012/${name}`,
        ARN: `arn:aws:es:us-east-1:123456789012:domain/${name}`,
        ...status,
      },
      $metadata: {},
    };
  };
  return { calls, send: send as DescribeDomainClient['send'] };
}
