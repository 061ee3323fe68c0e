import { join } from 'node:path';
import { EMPTY, fromEvent, takeUntil, type Observable } from 'rxjs';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { CheckpointStore } from '../sources/kinesis/checkpointStores/CheckpointStore.js';
import { LEASE_WORKER_OPTIONS } from '../sources/kinesis/leases/checkLeaseWorkerOptions.js';
import { dynamoDbLeases, type KinesisLeases } from '../sources/kinesis/leases/dynamoDbLeases.js';
import { fileCheckpointStore } from '../sources/kinesis/checkpointStores/fileCheckpointStore.js';
import { fromKinesisStream } from '../sources/kinesis/fromKinesisStream.js';
import type { KinesisSourceError } from '../sources/kinesis/KinesisSourceError.js';
import { asConfigurationError } from './asConfigurationError.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { configNumber } from './configNumber.js';
import { configRoleArn } from './configRoleArn.js';
import { configString } from './configString.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { THROUGHPUT_HINT } from './ranges.js';

/** A mapped source. */
export interface SourcePlan {
  readonly records: Observable<FirehoseRecord>;
  /** e.g. `Kinesis stream clicks` or `Direct PUT`. */
  readonly description: string;
  /** Resolves once a stopped source saved its last checkpoints (at once for Direct PUT); call after `signal` aborted. */
  readonly stopped: () => Promise<unknown>;
}

/** `arn:aws:kinesis:<region>:<account>:stream/<name>`. */
export const KINESIS_STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;
/** Where checkpoints go in the data directory: `_` never starts a bucket name, so no bucket directory collides. */
export const CHECKPOINT_DIR = '_checkpoints';

/**
 * Maps `DeliveryStreamType` and its source configuration to the stream's records:
 * - `DirectPut` (the default): `environment.records` (none: the stream completes at once), until `signal` aborts;
 *   `DirectPutSourceConfiguration.ThroughputHintInMBs` is checked (1–100) and, as in Firehose, informational.
 * - `KinesisStreamAsSource`: `KinesisStreamSourceConfiguration.KinesisStreamARN` read with `fromKinesisStream`,
 *   checkpointed in `<dataDir>/_checkpoints/<DeliveryStreamName>.json`, or, when the environment has a DynamoDB
 *   client or endpoint, with shard leases and checkpoints in the table `environment.checkpointTable` (several
 *   processes with the same configuration then share the shards); stopped by `signal`; at most
 *   `maxInFlightBytes` unsettled (its default, 64 MiB, when not given).
 *
 * ## Example
 * ```ts
 * const source = sourceFromConfig(input, ctx, stop.signal, sourceBudgetFor(bufferedBytes).maxInFlightBytes);
 * source.records.pipe(bufferBySizeOrTime(), deliverTo(lake));
 * ```
 */
export function sourceFromConfig(
  input: Readonly<Record<string, unknown>>,
  ctx: ConfigContext,
  signal: AbortSignal,
  maxInFlightBytes?: number,
): SourcePlan {
  const type = configEnum(
    input.DeliveryStreamType,
    'DeliveryStreamType',
    ['DirectPut', 'KinesisStreamAsSource'],
    ['MSKAsSource', 'DatabaseAsSource'],
  );
  if (type === 'DirectPut') {
    if (input.KinesisStreamSourceConfiguration !== undefined) {
      throw InvalidConfigurationError.invalid(
        'KinesisStreamSourceConfiguration',
        input.KinesisStreamSourceConfiguration,
        'absent unless DeliveryStreamType is KinesisStreamAsSource',
      );
    }
    if (input.DirectPutSourceConfiguration !== undefined) {
      const direct = checkFields(input.DirectPutSourceConfiguration, 'DirectPutSourceConfiguration', {
        supported: ['ThroughputHintInMBs'],
        required: ['ThroughputHintInMBs'],
      });
      configNumber(direct.ThroughputHintInMBs, 'DirectPutSourceConfiguration.ThroughputHintInMBs', THROUGHPUT_HINT);
    }
    const records = ctx.environment.records ?? EMPTY;
    return { records: records.pipe(takeUntil(fromEvent(signal, 'abort'))), description: 'Direct PUT', stopped: () => Promise.resolve() };
  }

  if (input.DirectPutSourceConfiguration !== undefined) {
    throw InvalidConfigurationError.invalid(
      'DirectPutSourceConfiguration',
      input.DirectPutSourceConfiguration,
      'absent unless DeliveryStreamType is DirectPut',
    );
  }
  if (input.KinesisStreamSourceConfiguration === undefined) {
    throw InvalidConfigurationError.invalid(
      'KinesisStreamSourceConfiguration',
      undefined,
      'present when DeliveryStreamType is KinesisStreamAsSource',
    );
  }
  const path = 'KinesisStreamSourceConfiguration';
  const fields = checkFields(input.KinesisStreamSourceConfiguration, path, {
    supported: ['KinesisStreamARN', 'RoleARN'],
    required: ['KinesisStreamARN'],
  });
  const arn = configString(fields.KinesisStreamARN, `${path}.KinesisStreamARN`, {
    minLength: 1,
    maxLength: 512,
    pattern: KINESIS_STREAM_ARN,
    description: 'a Kinesis stream ARN, arn:aws:kinesis:<region>:<account>:stream/<name>',
  })!;
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  const kinesisStream = KINESIS_STREAM_ARN.exec(arn)![1]!;

  let resolveStopped: (error?: unknown) => void = () => undefined;
  const stopped = new Promise<unknown>((resolve) => (resolveStopped = resolve));
  const records = asConfigurationError(
    () =>
      fromKinesisStream({
        client: ctx.clients.kinesis(),
        // By name: the stream ARN parameter is newer than some Kinesis-compatible servers.
        streamName: kinesisStream,
        ...checkpointsFor(ctx),
        signal,
        ...(maxInFlightBytes === undefined ? {} : { maxInFlightBytes }),
        ...(ctx.environment.kinesisStartingPosition === undefined ? {} : { startingPosition: ctx.environment.kinesisStartingPosition }),
        ...(ctx.scheduler === undefined ? {} : { scheduler: ctx.scheduler }),
        ...(ctx.metrics === undefined ? {} : { metrics: ctx.metrics }),
        onStopped: (error) => resolveStopped(error),
        ...(ctx.environment.warn === undefined
          ? {}
          : {
              onRetry: (error: KinesisSourceError, attempt: number) =>
                ctx.environment.warn?.(`${ctx.streamName}: ${error.message}; retrying (attempt ${attempt})`),
            }),
      }),
    {
      streamName: `${path}.KinesisStreamARN`,
      startingPosition: 'environment.kinesisStartingPosition',
      ...Object.fromEntries(LEASE_WORKER_OPTIONS.map((option) => [option, `environment.kinesisLeases.${option}`])),
    },
  );
  return { records, description: `Kinesis stream ${kinesisStream}`, stopped: () => stopped };
}

/**
 * The file in the data directory, or, with DynamoDB, leases in the table (so that several processes running
 * the same configuration share the stream's shards), keyed by delivery stream so two delivery streams reading
 * one Kinesis stream keep their own checkpoints and leases (`<DeliveryStreamName>/<stream>`).
 */
function checkpointsFor(ctx: ConfigContext): { checkpointStore: CheckpointStore } | { leases: KinesisLeases } {
  const dynamoDb = ctx.clients.dynamoDb();
  const leaseOptions = ctx.environment.kinesisLeases;
  if (dynamoDb === undefined) {
    if (leaseOptions !== undefined)
      throw InvalidConfigurationError.invalid(
        'environment.kinesisLeases',
        leaseOptions,
        'absent without a DynamoDB client or endpoint (leases live in DynamoDB)',
      );
    return { checkpointStore: fileCheckpointStore({ path: join(ctx.dataDir, CHECKPOINT_DIR, `${ctx.streamName}.json`) }) };
  }
  return {
    leases: dynamoDbLeases({
      ...leaseOptions,
      client: dynamoDb,
      tableName: ctx.environment.checkpointTable ?? 'rx-firehose-checkpoints',
      createTable: true,
      namespace: ctx.streamName,
    }),
  };
}
