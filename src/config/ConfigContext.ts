import type { SchedulerLike } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import type { LocalTransformation } from '../transform/lambdaContract.js';
import type { InvalidConfigurationError } from './InvalidConfigurationError.js';
import type { ConfigClients } from './clientsFor.js';
import type { DeliveryStreamEnvironment, DeliveryStreamResult } from './DeliveryStream.js';

/** What the mappings of one delivery stream share: its identity, environment, clients and counters. */
export interface ConfigContext {
  readonly streamName: string;
  readonly streamArn: string;
  readonly region: string;
  readonly accountId: string;
  readonly dataDir: string;
  readonly environment: DeliveryStreamEnvironment;
  readonly scheduler: SchedulerLike | undefined;
  readonly metrics: MetricSink | undefined;
  readonly clients: ConfigClients;
  readonly lambdaHandlers: Readonly<Record<string, LocalTransformation>>;
  /** The source's Kinesis stream ARN, for Lambda events. */
  readonly sourceKinesisStreamArn: string | undefined;
  /** Wraps an error output so that the failure records it writes are counted in the summary. */
  counted(errorOutput: ErrorOutput): ErrorOutput;
  /**
   * Registers a check that can only run asynchronously (a Glue table read, a jq query compiled), started as
   * soon as the whole configuration passed its synchronous checks: the stream reads no record until every check passed, and its `loaded` rejects with the first
   * failure (an {@link InvalidConfigurationError} naming `field`, also when the check needs an optional peer
   * dependency that is not installed).
   */
  atLoad(field: string, check: () => Promise<void>): void;
  /** Reports a backup delivery result. */
  onBackupResult(result: Omit<DeliveryStreamResult, 'stage'>): void;
  /**
   * Notes a buffer of the stream that holds up to `bytes` before it flushes by size (a Lambda processor's, the
   * source record backup's): their records are in flight for the source, which must let them all fill (see
   * `DeliveryStreamPlan.bufferedBytes`).
   */
  holdsBytes(bytes: number): void;
}
