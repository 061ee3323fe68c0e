import { createServer } from 'node:http';
import { listenOnLoopback } from './listenOnLoopback.js';

/** One `DescribeDomain` request the test server answered: the domain asked for and the SigV4 credential scope. */
export interface DescribeDomainRequest {
  readonly domainName: string;
  /** `<date>/<region>/es/aws4_request`, from the Authorization header. */
  readonly scope: string | undefined;
}

/**
 * A TEST SERVER for the OpenSearch control plane's `DescribeDomain`, written from the API's public
 * description (restJson1: `GET /2021-01-01/opensearch/domain/{DomainName}`, answered with
 * `{ "DomainStatus": { DomainId, DomainName, ARN, Endpoint | Endpoints, … } }`), for the real
 * `@aws-sdk/client-opensearch` of a separate process (the `rx-firehose` CLI) to talk to; the in-process
 * tests use `describeDomainTestDouble`. An unknown domain is HTTP 409 `ResourceNotFoundException`, as the
 * service answers; any other request is 404 `ResourceNotFoundException` without a domain. Signatures are not
 * checked; the credential scope is recorded, so tests can see the region a client signed for.
 */
export async function startDescribeDomainTestServer(domains: Record<string, Record<string, unknown>>): Promise<{
  readonly endpoint: string;
  readonly requests: DescribeDomainRequest[];
  stop(): Promise<void>;
}> {
  const requests: DescribeDomainRequest[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const answer = (status: number, body: unknown, type?: string): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...(type === undefined ? {} : { 'x-amzn-errortype': type }) });
      res.end(JSON.stringify(body));
    };
    const match = /^\/2021-01-01\/opensearch\/domain\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'GET' || match === null)
      return answer(404, { message: `No such operation: ${req.method} ${req.url}` }, 'ResourceNotFoundException');
    const domainName = decodeURIComponent(match[1]!);
    requests.push({ domainName, scope: /Credential=[^/]+\/([^,]+),/.exec(String(req.headers.authorization ?? ''))?.[1] });
    const domain = domains[domainName];
    if (domain === undefined) return answer(409, { message: `Domain not found: ${domainName}` }, 'ResourceNotFoundException');
    return answer(200, {
      DomainStatus: {
        DomainId: `123456789012/${domainName}`,
        DomainName: domainName,
        ARN: `arn:aws:es:us-east-1:123456789012:domain/${domainName}`,
        ...domain,
      },
    });
  });
  const loopback = await listenOnLoopback(server);
  return { endpoint: loopback.endpoint, requests, stop: loopback.stop };
}
