import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { compileTimestampPattern, type TimestampPattern } from './compileTimestampPattern.js';
import type { PartitionKeyNamespace } from './PartitionKeyError.js';

/** One piece of a parsed prefix: literal text or one `!{namespace:value}` expression. */
export type PrefixSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'timestamp'; readonly source: string; readonly index: number; readonly pattern: TimestampPattern }
  | { readonly kind: 'random'; readonly source: string; readonly index: number }
  | { readonly kind: 'errorOutputType'; readonly source: string; readonly index: number }
  | {
      readonly kind: 'partitionKey';
      readonly source: string;
      readonly index: number;
      readonly namespace: PartitionKeyNamespace;
      readonly key: string;
    };

/** A segment that came from a `!{…}` expression. */
export type ExpressionSegment = Exclude<PrefixSegment, { kind: 'literal' }>;

/** Firehose's API limit on `Prefix` and `ErrorOutputPrefix` before evaluation (API model: length 0–1024). */
export const MAX_PREFIX_CHARS = 1024;

const NAMESPACES = 'timestamp, firehose, partitionKeyFromQuery or partitionKeyFromLambda';

/**
 * Splits a Firehose prefix into literal text and expressions, checking the syntax of every `!{…}`, its
 * namespace and value, and every timestamp pattern. Throws {@link InvalidOptionError} naming `option`.
 *
 * The rules, from the Firehose developer guide ("Custom prefixes for Amazon S3 objects"): `!{` may only
 * start a `!{namespace:value}` expression; the namespaces are `timestamp` (a Java `DateTimeFormatter`
 * pattern), `firehose` (`random-string` or `error-output-type`), `partitionKeyFromQuery` and
 * `partitionKeyFromLambda` (a key name). An expression ends at the first `}` after its `!{`.
 * Which expression may appear in which prefix is checked by the caller.
 */
export function parsePrefix(component: string, option: string, value: unknown): PrefixSegment[] {
  const refuse = (allowed: string): InvalidOptionError => new InvalidOptionError(component, option, value, allowed);
  if (typeof value !== 'string') throw refuse('a string');
  if (value.length > MAX_PREFIX_CHARS) {
    throw refuse(`at most ${MAX_PREFIX_CHARS} characters long (Firehose's limit); it is ${value.length}`);
  }

  const segments: PrefixSegment[] = [];
  let literal = '';
  let i = 0;
  while (i < value.length) {
    const open = value.indexOf('!{', i);
    if (open < 0) {
      literal += value.slice(i);
      break;
    }
    literal += value.slice(i, open);
    const close = value.indexOf('}', open + 2);
    if (close < 0) {
      throw refuse(
        `a prefix whose every "!{" opens a !{namespace:value} expression closed by "}"; the "!{" at index ${open} ` + 'is not closed',
      );
    }
    const inner = value.slice(open + 2, close);
    const nested = inner.indexOf('!{');
    if (nested >= 0) {
      throw refuse(
        `a prefix without nested expressions; the expression at index ${open} is not closed before the "!{" ` +
          `at index ${open + 2 + nested}`,
      );
    }
    const source = value.slice(open, close + 1);
    const expression = (rule: string): string => `a prefix whose expressions ${rule}; "${source}" at index ${open}`;
    if (inner === '') throw refuse(expression('have the form !{namespace:value}') + ' is empty');
    const colon = inner.indexOf(':');
    if (colon < 0) throw refuse(expression('have the form !{namespace:value}') + ' has no ":"');
    const namespace = inner.slice(0, colon);
    const arg = inner.slice(colon + 1);
    if (arg === '') throw refuse(expression('have the form !{namespace:value}') + ' has an empty value');

    if (literal !== '') segments.push({ kind: 'literal', text: literal });
    literal = '';
    switch (namespace) {
      case 'timestamp': {
        let pattern: TimestampPattern;
        try {
          pattern = compileTimestampPattern(arg);
        } catch (err) {
          if (!(err instanceof RangeError)) throw err;
          throw refuse(expression('hold Java DateTimeFormatter patterns this library supports') + `: ${err.message}`);
        }
        segments.push({ kind: 'timestamp', source, index: open, pattern });
        break;
      }
      case 'firehose':
        if (arg === 'random-string') segments.push({ kind: 'random', source, index: open });
        else if (arg === 'error-output-type') segments.push({ kind: 'errorOutputType', source, index: open });
        else throw refuse(expression('use firehose:random-string or firehose:error-output-type') + ` uses "${arg}"`);
        break;
      case 'partitionKeyFromQuery':
      case 'partitionKeyFromLambda':
        segments.push({ kind: 'partitionKey', source, index: open, namespace, key: arg });
        break;
      default:
        throw refuse(expression(`use the namespaces ${NAMESPACES}`) + ` uses "${namespace}"`);
    }
    i = close + 1;
  }
  if (literal !== '') segments.push({ kind: 'literal', text: literal });
  return segments;
}
