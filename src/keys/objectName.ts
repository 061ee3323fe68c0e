import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkNumber } from '../options/checkNumber.js';
import { checkStreamName } from './checkStreamName.js';
import { compileTimestampPattern } from './compileTimestampPattern.js';

/** What an S3 object name is made of. */
export interface ObjectNameContext {
  /** The Firehose stream's name: 1–64 characters of `[a-zA-Z0-9_.-]`. */
  readonly streamName: string;
  /** The stream's version: starts at 1, +1 at every configuration change. Default 1. */
  readonly streamVersion?: number | undefined;
  /** Approximate arrival time (epoch ms, rendered in UTC) of the oldest record in the object. */
  readonly arrivalMs: number;
  /** The random last part: Firehose uses a UUID, e.g. `randomUUID` from `node:crypto`. Called once. */
  readonly random: () => string;
  /** File extension with its dot, e.g. `.gz`; `''` or omitted for none (Firehose's `FileExtension` rule). */
  readonly extension?: string | undefined;
}

const NAME = 'objectName';
const STAMP = compileTimestampPattern('yyyy-MM-dd-HH-mm-ss');
/** Firehose's `FileExtension`: empty, or a dot and `[0-9a-z!\-_.*'()]`, at most 128 characters. */
const EXTENSION = /^(|\.[0-9a-z!\-_.*'()]+)$/;
const MAX_EXTENSION_CHARS = 128;

/**
 * Returns the name part of a Firehose S3 object key: what follows the evaluated prefix.
 *
 * The format is Firehose's
 * `<StreamName>-<StreamVersion>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<random><extension>`, the time in UTC.
 * Firehose documents the random part as a UUID (`a9fa96af-e4e4-409f-bac3-1f804714faaa` in its dynamic
 * partitioning example), so pass `randomUUID` from `node:crypto`, or a fixed function in tests. The
 * extension is empty when uncompressed, otherwise `.gz`, `.zip`, `.snappy`, `.parquet`, … or a custom
 * `FileExtension`. The full key is `layout.prefixFor(ctx) + objectName(ctx)`.
 *
 * Throws {@link InvalidOptionError} for a stream name that is not 1–64 characters of `[a-zA-Z0-9_.-]`, a
 * version that is not an integer ≥ 1, or an extension Firehose would refuse; a `RangeError` for an
 * `arrivalMs` outside years 1–9999.
 *
 * ## Example
 * ```ts
 * import { randomUUID } from 'node:crypto';
 * import { objectName } from 'rx-firehose';
 *
 * const arrivalMs = Date.parse('2024-01-02T03:04:05Z');
 * objectName({ streamName: 'clicks', arrivalMs, random: randomUUID, extension: '.gz' });
 * // e.g. 'clicks-1-2024-01-02-03-04-05-1b4e28ba-2fa1-11d2-883f-0016d3cca427.gz'
 * ```
 *
 * @param ctx The stream, the instant, the random part and the extension.
 * @returns The object name, without the prefix.
 * @see compilePrefix for the prefix.
 */
export function objectName(ctx: ObjectNameContext): string {
  const streamName = checkStreamName(NAME, 'streamName', ctx.streamName);
  const version = checkNumber(NAME, 'streamVersion', ctx.streamVersion, 1, { min: 1, integer: true });
  const extension = ctx.extension ?? '';
  if (typeof extension !== 'string' || extension.length > MAX_EXTENSION_CHARS || !EXTENSION.test(extension)) {
    throw new InvalidOptionError(
      NAME,
      'extension',
      extension,
      `"" or a "." followed by characters of 0-9, a-z and !-_.*'() ` +
        `(at most ${MAX_EXTENSION_CHARS} characters, Firehose's FileExtension rule)`,
    );
  }
  return `${streamName}-${version}-${STAMP.format(ctx.arrivalMs)}-${ctx.random()}${extension}`;
}
