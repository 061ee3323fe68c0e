/** Test inputs shared by the codec tests: records as a batch would hold them. */
import { randomBytes } from 'node:crypto';

const encoder = new TextEncoder();

/** `count` JSON-lines records, deterministic, compressible like real event data. */
export function jsonLines(count: number, seed = 1): Uint8Array[] {
  const records: Uint8Array[] = [];
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < count; i++) {
    const record = {
      id: i,
      user: `user-${Math.floor(next() * 5000)}`,
      action: ['view', 'click', 'purchase', 'scroll'][Math.floor(next() * 4)],
      price: Math.round(next() * 100_000) / 100,
      path: `/products/${Math.floor(next() * 900)}/reviews?page=${Math.floor(next() * 20)}`,
    };
    records.push(encoder.encode(JSON.stringify(record) + '\n'));
  }
  return records;
}

/** Incompressible records: `count` random chunks of `size` bytes. */
export function randomChunks(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, () => new Uint8Array(randomBytes(size)));
}

/** The concatenation of `chunks`, what every codec must give back. */
export function concat(chunks: readonly Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

/** Total bytes of `chunks`. */
export function sizeOf(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.length, 0);
}
