import type { OperatorFunction } from 'rxjs';
import type { Destination, ErrorOutput } from '../destinations/Destination.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { Buffering } from './bufferingFromHints.js';

/** A destination configuration, mapped: what runs between the source and the destination, and the destination. */
export interface DestinationPlan {
  /** One line for progress output, e.g. `Lambda arn:… → ./firehose-data/lake (GZIP)`. */
  readonly description: string;
  /** Operators between the source and the buffer, in order: the source record backup, then processing. */
  readonly stages: ReadonlyArray<OperatorFunction<FirehoseRecord, FirehoseRecord>>;
  /** The destination buffer. */
  readonly buffering: Buffering;
  /** A buffer operator instead of `bufferBySizeOrTime(buffering)`: one buffer per partition with dynamic partitioning. */
  readonly buffer?: OperatorFunction<FirehoseRecord, FirehoseRecord[]> | undefined;
  readonly destination: Destination;
  /** Where what finally fails goes (already counted). */
  readonly errorOutput: ErrorOutput;
  /** The destination's retry duration, when the configuration sets one. */
  readonly retryDurationMs?: number | undefined;
}
