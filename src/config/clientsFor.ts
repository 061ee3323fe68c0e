import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { DeliveryStreamEnvironment } from './DeliveryStream.js';

/** The AWS clients of one delivery stream: injected ones, or built on first use (and destroyed by `destroy`). */
export interface ConfigClients {
  /** The S3 client, or `undefined` when buckets are local directories (no S3 client or endpoint). */
  s3(): S3Client | undefined;
  kinesis(): KinesisClient;
  lambda(): LambdaClient;
  /** The DynamoDB client, or `undefined` when checkpoints stay in the data directory. */
  dynamoDb(): DynamoDBClient | undefined;
  /** Destroys the clients built here (not the injected ones). */
  destroy(): void;
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
  const local = (endpoint: string | undefined) => (endpoint === undefined ? {} : { endpoint, requestHandler: new NodeHttpHandler() });

  const s3 = memo(() => new S3Client({ ...region, ...local(endpoints.s3), forcePathStyle: endpoints.s3 !== undefined, requestChecksumCalculation: 'WHEN_REQUIRED' }));
  const kinesis = memo(() => new KinesisClient({ ...region, ...local(endpoints.kinesis) }));
  const lambda = memo(() => new LambdaClient({ ...region, ...local(endpoints.lambda) }));
  const dynamoDb = memo(() => new DynamoDBClient({ ...region, ...local(endpoints.dynamodb) }));
  return {
    s3: () => environment.s3Client ?? (endpoints.s3 === undefined ? undefined : s3()),
    kinesis: () => environment.kinesisClient ?? kinesis(),
    lambda: () => environment.lambdaClient ?? lambda(),
    dynamoDb: () => environment.dynamoDbClient ?? (endpoints.dynamodb === undefined ? undefined : dynamoDb()),
    destroy: () => {
      for (const client of built.splice(0)) client.destroy();
    },
  };
}
