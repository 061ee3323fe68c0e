import type { DeliveryStreamEnvironment } from '../config/DeliveryStream.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkHttpUrl } from '../options/checkHttpUrl.js';
import {
  checkLeaseWorkerOptions,
  LEASE_WORKER_OPTIONS,
  type LeaseWorkerOptions,
} from '../sources/kinesis/leases/checkLeaseWorkerOptions.js';
import type { StartingPosition } from '../sources/kinesis/shardTracker.js';
import type { LocalTransformation } from '../transform/lambdaContract.js';
import { loadLambdaHandler } from './loadLambdaHandler.js';

/** The `parseArgs` options that `rx-firehose run` and `rx-firehose serve` share: where the streams' services are. */
export const STREAM_FLAG_OPTIONS = {
  's3-endpoint': { type: 'string' },
  'kinesis-endpoint': { type: 'string' },
  'lambda-endpoint': { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  'glue-endpoint': { type: 'string' },
  'redshift-data-endpoint': { type: 'string' },
  'opensearch-endpoint': { type: 'string' },
  'lambda-handler': { type: 'string', multiple: true },
  'starting-position': { type: 'string' },
  'metrics-port': { type: 'string' },
  'worker-id': { type: 'string' },
  'lease-duration-ms': { type: 'string' },
  'lease-renewal-interval-ms': { type: 'string' },
  'lease-balance-interval-ms': { type: 'string' },
  'max-leases-per-worker': { type: 'string' },
} as const;

/** The lines of `--help` for the endpoints of the clients that read a configuration's references, which `run` and `serve` share. */
export const REFERENCE_ENDPOINT_FLAGS_HELP = `  --glue-endpoint URL       read the Glue tables of DataFormatConversionConfiguration (GetTable) here
  --redshift-data-endpoint URL
                            run the COPY of RxFirehoseDataApiConfiguration here (Redshift Data API)
  --opensearch-endpoint URL resolve an OpenSearch DomainARN here (DescribeDomain)`;

/** The lines of `--help` for the lease flags, which `run` and `serve` share. */
export const LEASE_FLAGS_HELP = `  --worker-id ID            this process's name in the lease table (default <hostname>:<pid>:<random>);
                            unique per process. The lease flags need --dynamodb-endpoint
  --lease-duration-ms N     a lease not renewed for N ms is taken over (default 10000, the KCL's; 1000–3600000)
  --lease-renewal-interval-ms N
                            renew held leases every N ms (default a third of the duration minus 25; 100 to a
                            third of the duration)
  --lease-balance-interval-ms N
                            count leases and take one every N ms (default twice the duration plus 50; 100–3600000)
  --max-leases-per-worker N the most shards this process reads (default no limit)`;

/** The lease flags, each with the `dynamoDbLeases` option it sets. */
const LEASE_FLAGS = {
  workerId: 'worker-id',
  leaseDurationMs: 'lease-duration-ms',
  renewalIntervalMs: 'lease-renewal-interval-ms',
  balanceIntervalMs: 'lease-balance-interval-ms',
  maxLeasesPerWorker: 'max-leases-per-worker',
} as const satisfies Record<(typeof LEASE_WORKER_OPTIONS)[number], keyof typeof STREAM_FLAG_OPTIONS>;

/** The values `parseArgs` gives for {@link STREAM_FLAG_OPTIONS}. */
export interface StreamFlagValues {
  readonly 's3-endpoint'?: string | undefined;
  readonly 'kinesis-endpoint'?: string | undefined;
  readonly 'lambda-endpoint'?: string | undefined;
  readonly 'dynamodb-endpoint'?: string | undefined;
  readonly 'glue-endpoint'?: string | undefined;
  readonly 'redshift-data-endpoint'?: string | undefined;
  readonly 'opensearch-endpoint'?: string | undefined;
  readonly 'lambda-handler'?: string[] | undefined;
  readonly 'starting-position'?: string | undefined;
  readonly 'metrics-port'?: string | undefined;
  readonly 'worker-id'?: string | undefined;
  readonly 'lease-duration-ms'?: string | undefined;
  readonly 'lease-renewal-interval-ms'?: string | undefined;
  readonly 'lease-balance-interval-ms'?: string | undefined;
  readonly 'max-leases-per-worker'?: string | undefined;
}

/** The shared flags, checked: the delivery streams' environment, and the metrics port if one was asked for. */
export interface StreamFlags {
  readonly environment: Pick<
    DeliveryStreamEnvironment,
    'endpoints' | 'lambdaHandlers' | 'kinesisStartingPosition' | 'kinesisLeases' | 'warn'
  >;
  readonly metricsPort: number | undefined;
}

/**
 * Checks the flags that `run` and `serve` share and loads the `--lambda-handler` modules.
 *
 * ## Example
 * ```ts
 * const flags = await streamFlagsOf(values);
 * if (typeof flags === 'string') return usage(flags);
 * ```
 *
 * @returns The flags, or a message naming the flag and the value when one is wrong (for the usage error).
 */
export async function streamFlagsOf(values: StreamFlagValues): Promise<StreamFlags | string> {
  const startingPosition = values['starting-position'];
  if (startingPosition !== undefined && startingPosition !== 'LATEST' && startingPosition !== 'TRIM_HORIZON') {
    return `--starting-position must be LATEST or TRIM_HORIZON; got ${startingPosition}`;
  }
  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
    return `--metrics-port must be a port number (0–65535); got ${values['metrics-port']}`;
  }
  const kinesisLeases = leaseFlagsOf(values);
  if (typeof kinesisLeases === 'string') return kinesisLeases;
  const lambdaHandlers: Record<string, LocalTransformation> = {};
  for (const option of values['lambda-handler'] ?? []) {
    try {
      const [key, handler] = await loadLambdaHandler(option);
      lambdaHandlers[key] = handler;
    } catch (err) {
      return (err as Error).message;
    }
  }
  const endpoints = endpointFlagsOf(values);
  if (typeof endpoints === 'string') return endpoints;
  return {
    environment: {
      endpoints,
      lambdaHandlers,
      ...(startingPosition === undefined ? {} : { kinesisStartingPosition: startingPosition as StartingPosition }),
      ...(kinesisLeases === undefined ? {} : { kinesisLeases }),
      warn: (message) => console.error(`rx-firehose: ${message}`),
    },
    metricsPort,
  };
}

/** The endpoint flags, each with the `endpoints` field of the environment it sets. */
const ENDPOINT_FLAGS = {
  s3: 's3-endpoint',
  kinesis: 'kinesis-endpoint',
  lambda: 'lambda-endpoint',
  dynamodb: 'dynamodb-endpoint',
  glue: 'glue-endpoint',
  redshiftData: 'redshift-data-endpoint',
  opensearch: 'opensearch-endpoint',
} as const satisfies Record<keyof NonNullable<DeliveryStreamEnvironment['endpoints']>, keyof typeof STREAM_FLAG_OPTIONS>;

/**
 * The endpoint flags given, as the environment's `endpoints` (each an http: or https: URL without
 * credentials, checked as the destinations check theirs), or a message naming the flag and the value.
 */
function endpointFlagsOf(values: StreamFlagValues): NonNullable<DeliveryStreamEnvironment['endpoints']> | string {
  const endpoints: Record<string, string> = {};
  for (const [field, flag] of Object.entries(ENDPOINT_FLAGS)) {
    const value = values[flag];
    if (value === undefined) continue;
    try {
      checkHttpUrl('rx-firehose', flag, value, {
        allowed: 'an http: or https: URL without credentials',
        credentialsGoTo: 'the SDK takes credentials from its usual chain',
      });
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err;
      return `--${flag} must be ${err.allowed}; got ${String(err.value)}`;
    }
    endpoints[field] = value;
  }
  return endpoints;
}

/**
 * The lease flags as `dynamoDbLeases` options, checked by the same rules (so the ranges are `dynamoDbLeases`'s),
 * or a message naming the flag and the value. They need `--dynamodb-endpoint`: leases live in DynamoDB.
 */
function leaseFlagsOf(values: StreamFlagValues): LeaseWorkerOptions | undefined | string {
  const given = LEASE_WORKER_OPTIONS.filter((option) => values[LEASE_FLAGS[option]] !== undefined);
  if (given.length === 0) return undefined;
  if (values['dynamodb-endpoint'] === undefined) return `--${LEASE_FLAGS[given[0]!]} needs --dynamodb-endpoint (leases live in DynamoDB)`;
  const options: Record<string, string | number> = {};
  for (const option of given) {
    const text = values[LEASE_FLAGS[option]]!;
    if (option === 'workerId') {
      options[option] = text;
      continue;
    }
    if (!/^\d+$/.test(text)) return `--${LEASE_FLAGS[option]} must be a whole number; got ${text}`;
    options[option] = Number(text);
  }
  try {
    checkLeaseWorkerOptions(options);
  } catch (err) {
    if (!(err instanceof InvalidOptionError)) throw err;
    const flag = LEASE_FLAGS[err.option as keyof typeof LEASE_FLAGS];
    return `--${flag} must be ${err.allowed}; got ${values[flag]}`;
  }
  return options as LeaseWorkerOptions;
}
