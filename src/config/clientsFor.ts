import { createRequire } from 'node:module';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GlueClient } from '@aws-sdk/client-glue';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { S3Client } from '@aws-sdk/client-s3';
import { MissingPeerDependencyError } from '../errors/MissingPeerDependencyError.js';
import type { DescribeDomainClient } from '../destinations/opensearch/options.js';
import type { DeliveryStreamEnvironment } from './DeliveryStream.js';

const require = createRequire(import.meta.url);

/**
 * Loads an optional peer (an AWS SDK client package) when a client is first built, so that importing
 * rx-firehose loads no AWS SDK. The SDK's packages are CommonJS for Node (no `exports` map), so this is the
 * same module instance an `import` of them gets.
 */
function peer<T>(packageName: string): T {
  try {
    return require(packageName) as T;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(`'${packageName}'`)) {
      throw new MissingPeerDependencyError(packageName, 'deliveryStreamFromConfig', { cause: err });
    }
    throw err;
  }
}

/** The AWS clients of one delivery stream: injected ones, or built on first use (and destroyed by `destroy`). */
export interface ConfigClients {
  /** The S3 client, or `undefined` when buckets are local directories (no S3 client or endpoint). */
  s3(): S3Client | undefined;
  kinesis(): KinesisClient;
  lambda(): LambdaClient;
  /** The DynamoDB client, or `undefined` when checkpoints stay in the data directory. */
  dynamoDb(): DynamoDBClient | undefined;
  /** The OpenSearch control-plane client (for `DescribeDomain`), in `region` unless the environment sets one. */
  openSearch(region: string): DescribeDomainClient;
  /** The Glue client (for a conversion's table schema): in `region` (a `SchemaConfiguration.Region`), else the environment's region. */
  glue(region?: string | undefined): GlueClient;
  /** The Redshift Data API client (for Redshift Serverless). */
  redshiftData(): Pick<RedshiftDataClient, 'send'>;
  /** Ends `resource` (a `pg` pool built for the stream) with the clients, when the stream ends or its plan is discarded. */
  own(resource: { end(): Promise<void> }): void;
  /** Destroys the clients built here (not the injected ones) and ends what the stream owns; resolves when all is ended. */
  destroy(): Promise<void>;
}

/**
 * The clients a delivery stream uses, from its environment: an injected client, else one built on first use
 * from the endpoint (region and credentials from the AWS SDK's usual chain, unless `environment.region`).
 * Clients with an endpoint speak HTTP/1.1 (local Kinesis and S3 servers do not speak HTTP/2); an S3 endpoint
 * uses path-style addressing and checksums only when required, as S3-compatible servers expect.
 *
 * ## Example
 * ```ts
 * const clients = clientsFor({ endpoints: { s3: 'http://127.0.0.1:7480' } });
 * clients.s3(); // an S3Client for that endpoint
 * ```
 */
export function clientsFor(environment: DeliveryStreamEnvironment): ConfigClients {
  const endpoints = environment.endpoints ?? {};
  const region = environment.region === undefined ? {} : { region: environment.region };
  const built: Array<{ destroy(): void }> = [];
  const owned: Array<{ end(): Promise<void> }> = [];
  const memo = <C extends { destroy(): void }>(make: () => C): (() => C) => {
    let client: C | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        built.push(client);
      }
      return client;
    };
  };
  const local = (endpoint: string | undefined) =>
    endpoint === undefined
      ? {}
      : { endpoint, requestHandler: new (peer<typeof import('@smithy/node-http-handler')>('@smithy/node-http-handler').NodeHttpHandler)() };

  const s3 = memo(
    () =>
      new (peer<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3').S3Client)({
        ...region,
        ...local(endpoints.s3),
        forcePathStyle: endpoints.s3 !== undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
  );
  const kinesis = memo(
    () =>
      new (peer<typeof import('@aws-sdk/client-kinesis')>('@aws-sdk/client-kinesis').KinesisClient)({
        ...region,
        ...local(endpoints.kinesis),
      }),
  );
  const lambda = memo(
    () =>
      new (peer<typeof import('@aws-sdk/client-lambda')>('@aws-sdk/client-lambda').LambdaClient)({ ...region, ...local(endpoints.lambda) }),
  );
  const dynamoDb = memo(
    () =>
      new (peer<typeof import('@aws-sdk/client-dynamodb')>('@aws-sdk/client-dynamodb').DynamoDBClient)({
        ...region,
        ...local(endpoints.dynamodb),
      }),
  );
  const redshiftData = memo(
    () =>
      new (peer<typeof import('@aws-sdk/client-redshift-data')>('@aws-sdk/client-redshift-data').RedshiftDataClient)({
        ...region,
        ...local(endpoints.redshiftData),
      }),
  );
  const glueClients = new Map<string, () => GlueClient>();
  const glue = (tableRegion: string | undefined): GlueClient => {
    if (environment.glueClient !== undefined) return environment.glueClient;
    const inRegion = tableRegion ?? environment.region;
    const key = inRegion ?? '';
    if (!glueClients.has(key)) {
      glueClients.set(
        key,
        memo(
          () =>
            new (peer<typeof import('@aws-sdk/client-glue')>('@aws-sdk/client-glue').GlueClient)({
              ...(inRegion === undefined ? {} : { region: inRegion }),
              ...local(endpoints.glue),
            }),
        ),
      );
    }
    return glueClients.get(key)!();
  };
  const openSearchClients = new Map<string, () => DescribeDomainClient & { destroy(): void }>();
  return {
    s3: () => environment.s3Client ?? (endpoints.s3 === undefined ? undefined : s3()),
    kinesis: () => environment.kinesisClient ?? kinesis(),
    lambda: () => environment.lambdaClient ?? lambda(),
    dynamoDb: () => environment.dynamoDbClient ?? (endpoints.dynamodb === undefined ? undefined : dynamoDb()),
    openSearch: (domainRegion) => {
      if (environment.openSearchClient !== undefined) return environment.openSearchClient;
      const inRegion = environment.region ?? domainRegion;
      if (!openSearchClients.has(inRegion)) {
        openSearchClients.set(
          inRegion,
          memo(
            () =>
              new (peer<typeof import('@aws-sdk/client-opensearch')>('@aws-sdk/client-opensearch').OpenSearchClient)({
                region: inRegion,
                ...local(endpoints.opensearch),
              }),
          ),
        );
      }
      return openSearchClients.get(inRegion)!();
    },
    redshiftData: () => environment.redshiftDataClient ?? redshiftData(),
    glue,
    own: (resource) => void owned.push(resource),
    destroy: async () => {
      for (const client of built.splice(0)) client.destroy();
      // An error while ending (a connection already gone) leaves nothing to free.
      await Promise.allSettled(owned.splice(0).map((resource) => resource.end()));
    },
  };
}
