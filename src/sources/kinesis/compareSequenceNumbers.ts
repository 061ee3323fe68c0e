/**
 * Orders two Kinesis sequence numbers: negative when `a` comes first, 0 when equal, positive otherwise.
 *
 * Sequence numbers are decimal strings of up to 128 bits, beyond `Number`'s precision; comparing their
 * lengths (without leading zeros), then the digits, orders them exactly without parsing.
 *
 * ## Example
 * ```ts
 * import { compareSequenceNumbers } from 'rx-firehose';
 * compareSequenceNumbers('99', '100'); // < 0
 * ```
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
