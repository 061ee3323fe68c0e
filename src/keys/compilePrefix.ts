import { InvalidOptionError, typeNameOf } from '../errors/InvalidOptionError.js';
import { compileTimestampPattern } from './compileTimestampPattern.js';
import { PartitionKeyError, type PartitionKeyNamespace } from './PartitionKeyError.js';
import { parsePrefix, type ExpressionSegment, type PrefixSegment } from './parsePrefix.js';
import { utcFieldsOf, type UtcFields } from './utcFieldsOf.js';

/** The partition key values of one record, as Firehose gets them. */
export interface PartitionKeyValues {
  /** From the Lambda transformation's `metadata.partitionKeys`, for `!{partitionKeyFromLambda:k}`. */
  readonly partitionKeys?: Readonly<Record<string, string>> | undefined;
  /** From the inline JQ query (evaluated by the caller), for `!{partitionKeyFromQuery:k}`. */
  readonly queryPartitionKeys?: Readonly<Record<string, string>> | undefined;
}

/** What a key prefix is rendered from. */
export interface KeyContext extends PartitionKeyValues {
  /** Approximate arrival time (epoch ms, rendered in UTC) of the OLDEST record in the object. */
  readonly arrivalMs: number;
  /** Returns an 11-character random string, a new one at each call (inject it to make tests deterministic). */
  readonly random: () => string;
}

/** Options of {@link compilePrefix}, named as in Firehose's `ExtendedS3DestinationConfiguration`. */
export interface CompilePrefixOptions {
  /** Firehose's `Prefix`. Default: none, which evaluates to `yyyy/MM/dd/HH/`. */
  readonly prefix?: string | undefined;
  /** Firehose's `ErrorOutputPrefix`. Default: none, which gives `<prefix><error-output-type>/yyyy/MM/dd/HH/`. */
  readonly errorOutputPrefix?: string | undefined;
  /** Firehose's `DynamicPartitioningConfiguration.Enabled`. Default `false`. */
  readonly dynamicPartitioning?: boolean | undefined;
  /** The destination using the layout, named in error messages, e.g. `s3Destination`. */
  readonly component: string;
}

/** A validated Firehose key layout: renders the prefix of delivered objects and of error output. */
export interface CompiledKeyLayout {
  /**
   * Key prefix for delivered objects: the evaluated prefix, with `yyyy/MM/dd/HH/` appended (plain
   * concatenation) when the prefix has neither a timestamp nor a partition key expression. Every timestamp
   * expression uses the same instant, `ctx.arrivalMs`. Throws {@link PartitionKeyError} when a partition key
   * the prefix uses is missing or not a string, or when its values could make the prefix longer than 512
   * characters (counting each timestamp at its longest, e.g. `MMMM` as `September`); a `RangeError` for an
   * `arrivalMs` outside years 1–9999.
   */
  prefixFor(ctx: KeyContext): string;
  /**
   * Key prefix for failure records of `errorOutputType` (e.g. `processing-failed`): the evaluated
   * `errorOutputPrefix`, or, when none was given, `<prefix><errorOutputType>/yyyy/MM/dd/HH/`.
   * Partition keys are not used (failed records may have none), so this only throws for an empty type or
   * an `arrivalMs` outside years 1–9999.
   */
  errorPrefixFor(errorOutputType: string, ctx: KeyContext): string;
  /**
   * Identifies the partition a record belongs to: one buffer per partition, as Firehose keeps with dynamic
   * partitioning. Two records have the same id exactly when the prefix's partition key expressions evaluate
   * the same for both. `''` when the prefix uses no partition keys. Throws {@link PartitionKeyError} as
   * {@link CompiledKeyLayout.prefixFor} would, so a record can be routed to the error output before it is
   * buffered; a record that passes here never fails `prefixFor` for its partition keys.
   */
  partitionIdFor(keys: PartitionKeyValues): string;
  /** Whether the prefix uses `!{partitionKeyFromQuery:…}` or `!{partitionKeyFromLambda:…}`. */
  readonly usesPartitionKeys: boolean;
  /** Names used with `!{partitionKeyFromQuery:…}`, each once, in order of first use. */
  readonly queryPartitionKeyNames: readonly string[];
  /** Names used with `!{partitionKeyFromLambda:…}`, each once, in order of first use. */
  readonly lambdaPartitionKeyNames: readonly string[];
  /** Whether `prefixFor` appends `yyyy/MM/dd/HH/` to the evaluated prefix. */
  readonly appendsDefaultTimestamp: boolean;
  readonly dynamicPartitioning: boolean;
  /** The prefix as configured (`''` when none). */
  readonly prefix: string;
  /** The error output prefix as configured, `undefined` when none (or empty). */
  readonly errorOutputPrefix: string | undefined;
}

/** Firehose's limit on a prefix after evaluation (developer guide, "Semantic rules"). */
export const MAX_EVALUATED_PREFIX_CHARS = 512;
/** What Firehose appends to a prefix without a timestamp expression, and its default prefix. */
export const DEFAULT_TIMESTAMP_PATTERN = 'yyyy/MM/dd/HH/';
/** Length of `AmazonOpenSearchService-failed`, the longest error output type Firehose writes. */
const LONGEST_ERROR_OUTPUT_TYPE = 30;
const RANDOM_STRING_CHARS = 11;

const DEFAULT_TIMESTAMP = compileTimestampPattern(DEFAULT_TIMESTAMP_PATTERN);

/**
 * Validates a Firehose S3 key layout (`Prefix`, `ErrorOutputPrefix`, dynamic partitioning) and returns
 * functions that render the key prefixes of delivered objects and of error output, exactly as Firehose lays
 * them out.
 *
 * Every rule Firehose enforces when the stream is created is checked here, at construction, with an
 * {@link InvalidOptionError} naming `prefix` or `errorOutputPrefix`, the value and the rule broken:
 * - at most 1024 characters each, and at most 512 once evaluated;
 * - `!{` only as `!{namespace:value}`, closed, not empty, not nested; namespaces `timestamp`, `firehose`,
 *   `partitionKeyFromQuery`, `partitionKeyFromLambda`; `firehose:` only `random-string` or `error-output-type`;
 * - `!{timestamp:…}` a supported Java `DateTimeFormatter` pattern (see `compileTimestampPattern`);
 * - `!{firehose:error-output-type}` only in `errorOutputPrefix`, and required there when it has any expression;
 * - `errorOutputPrefix` required (non-empty) when `prefix` has any expression;
 * - partition key expressions only in `prefix`, only with `dynamicPartitioning`, which requires at least one.
 *
 * Rendering never reads the clock: the instant is `ctx.arrivalMs` (the oldest record in the object, in UTC)
 * and is the same for every timestamp expression of a key. `!{firehose:random-string}` calls `ctx.random()`
 * at every use.
 *
 * ## Example
 * ```ts
 * import { compilePrefix, randomString } from 'rx-firehose';
 *
 * const at = { arrivalMs: Date.parse('2016-02-25T13:00:00.123Z'), random: () => randomString() };
 *
 * compilePrefix({ component: 's3' }).prefixFor(at);                        // '2016/02/25/13/'
 * compilePrefix({ component: 's3' }).errorPrefixFor('processing-failed', at);
 * // 'processing-failed/2016/02/25/13/'
 * compilePrefix({ component: 's3', prefix: 'logs/' }).prefixFor(at);        // 'logs/2016/02/25/13/'
 *
 * const hive = compilePrefix({
 *   component: 's3',
 *   prefix: 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/',
 *   errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
 * });
 * hive.prefixFor(at);                            // 'year=2016/month=02/'
 * hive.errorPrefixFor('processing-failed', at);  // 'errors/processing-failed/2016/02/25/'
 * ```
 *
 * @param options The prefixes, whether dynamic partitioning is on, and the component name for messages.
 * @returns The compiled layout.
 * @see objectName for the rest of the key.
 */
export function compilePrefix(options: CompilePrefixOptions): CompiledKeyLayout {
  const component = String(options.component);
  const dynamicPartitioning = options.dynamicPartitioning ?? false;
  if (typeof dynamicPartitioning !== 'boolean') {
    throw new InvalidOptionError(component, 'dynamicPartitioning', dynamicPartitioning, 'a boolean');
  }
  const prefix = options.prefix ?? '';
  const prefixSegments = parsePrefix(component, 'prefix', prefix);
  const errorOutputPrefix = options.errorOutputPrefix === '' ? undefined : options.errorOutputPrefix;
  const errorSegments = errorOutputPrefix === undefined ? undefined : parsePrefix(component, 'errorOutputPrefix', errorOutputPrefix);

  // Rules on Prefix.
  const prefixExpressions = prefixSegments.filter(isExpression);
  const refusePrefix = (allowed: string): InvalidOptionError => new InvalidOptionError(component, 'prefix', prefix, allowed);
  const errorTypeInPrefix = prefixExpressions.find((s) => s.kind === 'errorOutputType');
  if (errorTypeInPrefix !== undefined) {
    throw refusePrefix(
      'a prefix without !{firehose:error-output-type}, which only errorOutputPrefix may use; ' +
        `found at index ${errorTypeInPrefix.index}`,
    );
  }
  const partitionSegments = prefixExpressions.filter(isPartitionKey);
  const firstPartition = partitionSegments[0];
  if (!dynamicPartitioning && firstPartition !== undefined) {
    throw refusePrefix(
      'a prefix without partition key expressions unless dynamicPartitioning is true; ' +
        `"${firstPartition.source}" at index ${firstPartition.index}`,
    );
  }
  if (dynamicPartitioning && firstPartition === undefined) {
    throw refusePrefix(
      'a prefix with at least one !{partitionKeyFromQuery:…} or !{partitionKeyFromLambda:…} expression ' +
        'when dynamicPartitioning is true',
    );
  }
  if (prefixExpressions.length > 0 && errorSegments === undefined) {
    throw new InvalidOptionError(
      component,
      'errorOutputPrefix',
      options.errorOutputPrefix,
      'a non-empty prefix when prefix contains expressions ' +
        '(Firehose: "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions")',
    );
  }

  // Rules on ErrorOutputPrefix.
  if (errorSegments !== undefined) {
    const refuseError = (allowed: string): InvalidOptionError =>
      new InvalidOptionError(component, 'errorOutputPrefix', errorOutputPrefix, allowed);
    const errorExpressions = errorSegments.filter(isExpression);
    const partitionInError = errorExpressions.find(isPartitionKey);
    if (partitionInError !== undefined) {
      throw refuseError(
        'a prefix without partition key expressions (failed records may have no partition keys); ' +
          `"${partitionInError.source}" at index ${partitionInError.index}`,
      );
    }
    if (errorExpressions.length > 0 && !errorExpressions.some((s) => s.kind === 'errorOutputType')) {
      throw refuseError('a prefix with at least one !{firehose:error-output-type} when it contains any expression');
    }
  }

  // The developer guide: a prefix without a timestamp expression gets !{timestamp:yyyy/MM/dd/HH/} appended.
  // Its dynamic partitioning example shows a prefix of partition keys only delivered without it, so a partition
  // key expression turns the append off as well.
  const appendsDefaultTimestamp = !prefixExpressions.some((s) => s.kind === 'timestamp' || s.kind === 'partitionKey');
  // Evaluated lengths: refuse at construction what could exceed 512 characters without any partition key value.
  const prefixMax = maxLength(prefixSegments) + (appendsDefaultTimestamp ? DEFAULT_TIMESTAMP.maxLength : 0);
  if (prefixMax > MAX_EVALUATED_PREFIX_CHARS) throw refusePrefix(tooLong(prefixMax));
  if (errorSegments !== undefined) {
    const errorMax = maxLength(errorSegments);
    if (errorMax > MAX_EVALUATED_PREFIX_CHARS) {
      throw new InvalidOptionError(component, 'errorOutputPrefix', errorOutputPrefix, tooLong(errorMax));
    }
  }

  const queryPartitionKeyNames = distinctKeys(partitionSegments, 'partitionKeyFromQuery');
  const lambdaPartitionKeyNames = distinctKeys(partitionSegments, 'partitionKeyFromLambda');
  const distinctPartitions = distinctPartitionSegments(partitionSegments);

  const partitionValues = (keys: PartitionKeyValues): Map<string, string> => {
    const values = new Map<string, string>();
    for (const s of distinctPartitions) values.set(s.source, partitionValue(component, keys, s.namespace, s.key));
    // A prefix that begins with a partition key: an empty value would make the key begin with what follows.
    const lead = prefixSegments[0];
    if (lead?.kind === 'partitionKey' && values.get(lead.source) === '') {
      throw new PartitionKeyError(
        component,
        'unsafe-path',
        lead.namespace,
        lead.key,
        `partition key "${lead.key}" of !{${lead.namespace}:${lead.key}} is empty, and the prefix begins with it: ` +
          'the key would begin with what follows it',
      );
    }
    let length = prefixMax;
    for (const s of partitionSegments) length += values.get(s.source)?.length ?? 0;
    if (length > MAX_EVALUATED_PREFIX_CHARS) throw partitionTooLong(component, length);
    return values;
  };

  return {
    prefixFor(ctx) {
      const values = partitionSegments.length > 0 ? partitionValues(ctx) : undefined;
      const fields = utcFieldsOf(ctx.arrivalMs);
      let out = render(prefixSegments, fields, ctx, undefined, values);
      if (appendsDefaultTimestamp) out += DEFAULT_TIMESTAMP.formatFields(fields);
      return out;
    },
    errorPrefixFor(errorOutputType, ctx) {
      if (typeof errorOutputType !== 'string' || errorOutputType === '') {
        const allowed = 'a non-empty string such as "processing-failed"';
        throw new InvalidOptionError(component, 'errorOutputType', errorOutputType, allowed);
      }
      const fields = utcFieldsOf(ctx.arrivalMs);
      if (errorSegments !== undefined) return render(errorSegments, fields, ctx, errorOutputType, undefined);
      // Only reachable when prefix has no expressions, so prefix is plain text.
      return `${prefix}${errorOutputType}/${DEFAULT_TIMESTAMP.formatFields(fields)}`;
    },
    partitionIdFor(keys) {
      if (distinctPartitions.length === 0) return '';
      return JSON.stringify([...partitionValues(keys).values()]);
    },
    usesPartitionKeys: partitionSegments.length > 0,
    queryPartitionKeyNames,
    lambdaPartitionKeyNames,
    appendsDefaultTimestamp,
    dynamicPartitioning,
    prefix,
    errorOutputPrefix,
  };
}

type PartitionSegment = Extract<PrefixSegment, { kind: 'partitionKey' }>;

function isExpression(s: PrefixSegment): s is ExpressionSegment {
  return s.kind !== 'literal';
}

function isPartitionKey(s: PrefixSegment): s is PartitionSegment {
  return s.kind === 'partitionKey';
}

function tooLong(max: number): string {
  return (
    `a prefix whose evaluated form stays within ${MAX_EVALUATED_PREFIX_CHARS} characters ` +
    `(Firehose's limit after evaluation); it can reach ${max}`
  );
}

function partitionTooLong(component: string, length: number): PartitionKeyError {
  return new PartitionKeyError(
    component,
    'too-long',
    undefined,
    undefined,
    `with these partition key values the evaluated prefix can be ${length} characters long; ` +
      `Firehose allows at most ${MAX_EVALUATED_PREFIX_CHARS}`,
  );
}

/** The longest a prefix can evaluate to, partition key values not counted. */
function maxLength(segments: readonly PrefixSegment[]): number {
  let max = 0;
  for (const s of segments) {
    switch (s.kind) {
      case 'literal':
        max += s.text.length;
        break;
      case 'timestamp':
        max += s.pattern.maxLength;
        break;
      case 'random':
        max += RANDOM_STRING_CHARS;
        break;
      case 'errorOutputType':
        max += LONGEST_ERROR_OUTPUT_TYPE;
        break;
      case 'partitionKey':
        break;
    }
  }
  return max;
}

function distinctKeys(segments: readonly PartitionSegment[], namespace: PartitionKeyNamespace): string[] {
  return [...new Set(segments.filter((s) => s.namespace === namespace).map((s) => s.key))];
}

function distinctPartitionSegments(segments: readonly PartitionSegment[]): PartitionSegment[] {
  const seen = new Map<string, PartitionSegment>();
  for (const s of segments) if (!seen.has(s.source)) seen.set(s.source, s);
  return [...seen.values()];
}

function partitionValue(component: string, keys: PartitionKeyValues, namespace: PartitionKeyNamespace, key: string): string {
  const fromQuery = namespace === 'partitionKeyFromQuery';
  const map: Readonly<Record<string, unknown>> | undefined = fromQuery ? keys.queryPartitionKeys : keys.partitionKeys;
  const where = fromQuery ? 'the query partition keys' : "the Lambda's metadata.partitionKeys";
  const value = map != null && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
  if (value === undefined) {
    const message = `partition key "${key}" of !{${namespace}:${key}} has no value in ${where}`;
    throw new PartitionKeyError(component, 'missing', namespace, key, message);
  }
  if (typeof value === 'string' && escapesPrefix(value)) {
    throw new PartitionKeyError(
      component,
      'unsafe-path',
      namespace,
      key,
      `partition key "${key}" of !{${namespace}:${key}} is ${JSON.stringify(value)}: a value may not start with "/" or "\\" ` +
        'nor hold a "." or ".." path segment, so that a key never leaves its prefix',
    );
  }
  if (typeof value !== 'string') {
    throw new PartitionKeyError(
      component,
      'not-a-string',
      namespace,
      key,
      `partition key "${key}" of !{${namespace}:${key}} must be a string; got ${typeNameOf(value)}`,
    );
  }
  return value;
}

function render(
  segments: readonly PrefixSegment[],
  fields: UtcFields,
  ctx: KeyContext,
  errorOutputType: string | undefined,
  partitionValues: ReadonlyMap<string, string> | undefined,
): string {
  let out = '';
  for (const s of segments) {
    switch (s.kind) {
      case 'literal':
        out += s.text;
        break;
      case 'timestamp':
        out += s.pattern.formatFields(fields);
        break;
      case 'random':
        out += ctx.random();
        break;
      case 'errorOutputType':
        out += errorOutputType ?? '';
        break;
      case 'partitionKey':
        out += partitionValues?.get(s.source) ?? '';
        break;
    }
  }
  return out;
}

/** Whether a partition key value could take a key out of its prefix: an absolute path, or a `.` / `..` segment. */
function escapesPrefix(value: string): boolean {
  if (value.startsWith('/') || value.startsWith('\\')) return true;
  for (const segment of value.split(/[\\/]/)) if (segment === '..' || segment === '.') return true;
  return false;
}
