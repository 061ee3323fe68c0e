import { randomBytes } from 'node:crypto';
import { checkNumber } from '../options/checkNumber.js';

/**
 * Returns a new random string of lowercase hexadecimal digits, 11 long by default: what Firehose puts in place
 * of `!{firehose:random-string}`.
 *
 * Firehose documents the expression as "a random string of 11 characters", new at every use. It does not
 * name the alphabet; its own examples (`5abf82daaa5`, `046b6c7f-0b`) are hexadecimal, the second one cut from a
 * UUID. This function uses the 16 digits `0–9a–f`, which every S3-compatible store and file system accepts,
 * from `node:crypto`'s secure random bytes.
 *
 * ## Example
 * ```ts
 * import { compilePrefix, randomString } from 'rx-firehose';
 *
 * randomString();   // e.g. '3f9a0c51e7b'
 * randomString(4);  // e.g. 'c0de'
 *
 * const layout = compilePrefix({
 *   component: 'example',
 *   prefix: 'rand=!{firehose:random-string}/',
 *   errorOutputPrefix: '!{firehose:error-output-type}/',
 * });
 * layout.prefixFor({ arrivalMs: Date.parse('2016-02-25T13:00:00Z'), random: () => randomString() });
 * // e.g. 'rand=5abf82daaa5/2016/02/25/13/'
 * ```
 *
 * @param length How many characters, an integer from 1 to 1024. Default 11.
 * @returns A fresh random string.
 */
export function randomString(length = 11): string {
  const n = checkNumber('randomString', 'length', length, 11, { min: 1, max: 1024, integer: true });
  return randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
}
