import { createHash } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A UUID-shaped name derived from `seed` (SHA-256, version nibble 8: "custom"). The same seed gives the
 * same name, so every retry of one batch writes the same object key and a retry after a lost
 * acknowledgement overwrites instead of duplicating.
 */
export function uuidFromSeed(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A generator of 11-character strings (for `!{firehose:random-string}`), each new, all derived from `seed`. */
export function seededRandomStrings(seed: string): () => string {
  let n = 0;
  return () => {
    const h = createHash('sha256').update(`${seed}#${n++}`).digest();
    let s = '';
    for (let i = 0; i < 11; i++) s += ALPHABET[h[i]! % ALPHABET.length];
    return s;
  };
}
