import type { DeliveryStreamEnvironment } from '../config/DeliveryStream.js';
import type { StartingPosition } from '../sources/kinesis/shardTracker.js';
import type { LocalTransformation } from '../transform/lambdaContract.js';
import { loadLambdaHandler } from './loadLambdaHandler.js';

/** The `parseArgs` options that `rx-firehose run` and `rx-firehose serve` share: where the streams' services are. */
export const STREAM_FLAG_OPTIONS = {
  's3-endpoint': { type: 'string' },
  'kinesis-endpoint': { type: 'string' },
  'lambda-endpoint': { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  'lambda-handler': { type: 'string', multiple: true },
  'starting-position': { type: 'string' },
  'metrics-port': { type: 'string' },
} as const;

/** The values `parseArgs` gives for {@link STREAM_FLAG_OPTIONS}. */
export interface StreamFlagValues {
  readonly 's3-endpoint'?: string | undefined;
  readonly 'kinesis-endpoint'?: string | undefined;
  readonly 'lambda-endpoint'?: string | undefined;
  readonly 'dynamodb-endpoint'?: string | undefined;
  readonly 'lambda-handler'?: string[] | undefined;
  readonly 'starting-position'?: string | undefined;
  readonly 'metrics-port'?: string | undefined;
}

/** The shared flags, checked: the delivery streams' environment, and the metrics port if one was asked for. */
export interface StreamFlags {
  readonly environment: Pick<DeliveryStreamEnvironment, 'endpoints' | 'lambdaHandlers' | 'kinesisStartingPosition'>;
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
  const lambdaHandlers: Record<string, LocalTransformation> = {};
  for (const option of values['lambda-handler'] ?? []) {
    try {
      const [key, handler] = await loadLambdaHandler(option);
      lambdaHandlers[key] = handler;
    } catch (err) {
      return (err as Error).message;
    }
  }
  const endpoints = {
    ...(values['s3-endpoint'] === undefined ? {} : { s3: values['s3-endpoint'] }),
    ...(values['kinesis-endpoint'] === undefined ? {} : { kinesis: values['kinesis-endpoint'] }),
    ...(values['lambda-endpoint'] === undefined ? {} : { lambda: values['lambda-endpoint'] }),
    ...(values['dynamodb-endpoint'] === undefined ? {} : { dynamodb: values['dynamodb-endpoint'] }),
  };
  return {
    environment: {
      endpoints,
      lambdaHandlers,
      ...(startingPosition === undefined ? {} : { kinesisStartingPosition: startingPosition as StartingPosition }),
    },
    metricsPort,
  };
}
