import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import { typeNameOf } from '../errors/InvalidOptionError.js';
import { checkCompression } from './checkCompression.js';
import type { Compression } from './compression.js';
import { crc32c } from './crc32c.js';
import { mapInOrder } from './mapInOrder.js';

const gunzipAsync = promisify(gunzip);

/** Snappy framing format: the most uncompressed bytes one data chunk may carry. */
const FRAME_MAX = 65_536;
/** Native decompression calls in flight at once: the size of libuv's default thread pool. */
const IN_FLIGHT = 4;

/**
 * Decompresses one S3 object written with `compression` (by {@link compress} or by Firehose) and
 * resolves to the original bytes: the inverse of {@link compress}.
 *
 * Every format is checked as far as it can be, and corrupt or truncated input rejects with an
 * `Error` whose message starts with `decompress(<compression>):` and says what is wrong and at which
 * byte offset, never with silently wrong data:
 *
 * - `UNCOMPRESSED`: `bytes` itself is returned.
 * - `GZIP`: node:zlib on the thread pool; gzip's CRC-32 and length are checked. Concatenated members
 *   are read as one stream, as gzip(1) does.
 * - `ZIP`: exactly one entry (as Firehose writes), stored or deflated; its CRC-32 and length are
 *   checked (the entry is inflated through node:zlib's gunzip, which verifies both). ZIP64 and
 *   encrypted archives are refused.
 * - `Snappy`: the framing format; the stream must start with the stream identifier, every data
 *   chunk's masked CRC-32C is verified, padding and reserved skippable chunks are skipped, and
 *   reserved unskippable chunk types are refused.
 * - `HADOOP_SNAPPY`: Hadoop's block format, with any number of compressed chunks per block; each
 *   block's chunks must add up to exactly its announced length (the format has no checksum). A block
 *   of length 0 (Hadoop's encoding of an empty file) is skipped.
 *
 * An unknown `compression` rejects with an `InvalidOptionError`.
 *
 * ## Example
 * ```ts
 * import { compress, decompress } from 'rx-firehose';
 * const body = await compress('Snappy', [new TextEncoder().encode('{"a":1}\n')]);
 * const text = new TextDecoder().decode(await decompress('Snappy', body)); // '{"a":1}\n'
 * ```
 */
export async function decompress(compression: Compression, bytes: Uint8Array): Promise<Uint8Array> {
  checkCompression('decompress', 'compression', compression);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`decompress: bytes must be a Uint8Array (or Buffer); got a value of type ${typeNameOf(bytes)}`);
  }
  switch (compression) {
    case 'UNCOMPRESSED':
      return bytes;
    case 'GZIP':
      try {
        return await gunzipAsync(bytes);
      } catch (err) {
        throw new Error(`decompress(GZIP): not a valid gzip stream: ${messageOf(err)}`, { cause: err });
      }
    case 'ZIP':
      return unzipSingleEntry(bytes);
    case 'Snappy':
      return unframeSnappy(bytes);
    case 'HADOOP_SNAPPY':
      return unblockHadoopSnappy(bytes);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  return Buffer.concat(parts, length);
}

/**
 * The uncompressed length announced by a raw Snappy stream's preamble (a little-endian base-128
 * varint of at most 32 bits), or `undefined` when the preamble is malformed.
 */
function snappyLength(raw: Uint8Array): number | undefined {
  let value = 0;
  for (let i = 0; i < 5 && i < raw.length; i++) {
    const byte = raw[i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value <= 0xffffffff ? value : undefined;
  }
  return undefined;
}

/** Raw Snappy decompression on the thread pool, with the expected length checked. */
async function unsnappy(
  raw: Uint8Array,
  expected: number,
  fail: (message: string, cause?: unknown) => Error,
  where: string,
): Promise<Uint8Array> {
  let plain: Uint8Array;
  const { uncompress: snappyUncompress } = await import('snappy'); // a native addon: loaded when first used, not at start-up
  try {
    plain = (await snappyUncompress(raw, { asBuffer: true })) as Buffer;
  } catch (err) {
    throw fail(`${where}: corrupt Snappy data (${messageOf(err)})`, err);
  }
  if (plain.length !== expected) throw fail(`${where}: decompressed to ${plain.length} bytes, its preamble says ${expected}`);
  return plain;
}

interface Frame {
  readonly offset: number;
  readonly compressed: boolean;
  readonly checksum: number;
  readonly payload: Uint8Array;
}

/** The Snappy framing format (google/snappy framing_format.txt), every data chunk's CRC verified. */
async function unframeSnappy(bytes: Uint8Array): Promise<Uint8Array> {
  const fail = (message: string, cause?: unknown): Error =>
    new Error(`decompress(Snappy): ${message}`, cause === undefined ? undefined : { cause });
  if (bytes.length === 0) throw fail('empty input; a Snappy framed stream starts with its stream identifier chunk');
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 4) throw fail(`truncated chunk header at byte ${pos} (${bytes.length - pos} bytes left)`);
    const type = bytes[pos]!;
    const length = bytes[pos + 1]! | (bytes[pos + 2]! << 8) | (bytes[pos + 3]! << 16);
    const start = pos + 4;
    const end = start + length;
    const typeHex = '0x' + type.toString(16).padStart(2, '0');
    if (pos === 0 && type !== 0xff) {
      throw fail(`no stream identifier: the first chunk has type ${typeHex} (not a Snappy framed stream; raw Snappy or HADOOP_SNAPPY?)`);
    }
    if (end > bytes.length) {
      throw fail(`truncated chunk at byte ${pos}: type ${typeHex} announces ${length} bytes, ${bytes.length - start} are left`);
    }
    if (type === 0xff) {
      const body = bytes.subarray(start, end);
      if (length !== 6 || Buffer.from(body).toString('latin1') !== 'sNaPpY') throw fail(`invalid stream identifier chunk at byte ${pos}`);
    } else if (type === 0x00 || type === 0x01) {
      if (length < 4) throw fail(`data chunk at byte ${pos} is ${length} bytes long, too short for its CRC-32C`);
      const checksum = (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)) >>> 0;
      const payload = bytes.subarray(start + 4, end);
      if (type === 0x01 && payload.length > FRAME_MAX) {
        throw fail(`uncompressed chunk at byte ${pos} holds ${payload.length} bytes, more than the format's ${FRAME_MAX}`);
      }
      frames.push({ offset: pos, compressed: type === 0x00, checksum, payload });
    } else if (type < 0x80) {
      throw fail(`reserved unskippable chunk type ${typeHex} at byte ${pos}`);
    } // 0x80–0xfd: reserved skippable, 0xfe: padding; skipped
    pos = end;
  }
  const plains = await mapInOrder(frames, IN_FLIGHT, async (frame) => {
    let plain = frame.payload;
    if (frame.compressed) {
      const where = `compressed chunk at byte ${frame.offset}`;
      const announced = snappyLength(frame.payload);
      if (announced === undefined) throw fail(`${where}: corrupt Snappy data (malformed length preamble)`);
      if (announced > FRAME_MAX) throw fail(`${where}: announces ${announced} uncompressed bytes, more than the format's ${FRAME_MAX}`);
      plain = await unsnappy(frame.payload, announced, fail, where);
    }
    const c = crc32c(plain);
    const masked = ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
    if (masked !== frame.checksum) {
      throw fail(
        `CRC-32C mismatch in the ${frame.compressed ? 'compressed' : 'uncompressed'} chunk at byte ${frame.offset}: ` +
          `stored ${hex32(frame.checksum)}, computed ${hex32(masked)} (masked); the data is corrupt`,
      );
    }
    return plain;
  });
  return concat(plains);
}

interface HadoopChunk {
  readonly offset: number;
  readonly payload: Uint8Array;
  readonly length: number;
}

/** Hadoop's SnappyCodec block format: [BE32 block length] then [BE32 length][raw Snappy]… per block. */
async function unblockHadoopSnappy(bytes: Uint8Array): Promise<Uint8Array> {
  const fail = (message: string, cause?: unknown): Error =>
    new Error(`decompress(HADOOP_SNAPPY): ${message}`, cause === undefined ? undefined : { cause });
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: HadoopChunk[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const blockAt = pos;
    if (bytes.length - pos < 4) throw fail(`truncated block header at byte ${pos} (${bytes.length - pos} bytes left)`);
    const blockLength = view.readUInt32BE(pos);
    pos += 4;
    if (blockLength > 0x7fffffff) throw fail(`block at byte ${blockAt} announces ${blockLength} bytes, more than Hadoop's 2^31 − 1`);
    let left = blockLength;
    while (left > 0) {
      const chunkAt = pos;
      if (bytes.length - pos < 4) {
        throw fail(`truncated block at byte ${blockAt}: it announces ${blockLength} bytes, the data ends after ${blockLength - left}`);
      }
      const length = view.readUInt32BE(pos);
      pos += 4;
      if (length > bytes.length - pos) {
        throw fail(`truncated compressed chunk at byte ${chunkAt}: it announces ${length} bytes, ${bytes.length - pos} are left`);
      }
      const payload = bytes.subarray(pos, pos + length);
      pos += length;
      const announced = snappyLength(payload);
      if (announced === undefined) throw fail(`compressed chunk at byte ${chunkAt}: corrupt Snappy data (malformed length preamble)`);
      if (announced > left) {
        throw fail(
          `compressed chunk at byte ${chunkAt} holds ${announced} bytes, more than the ${left} left in the block at byte ${blockAt}`,
        );
      }
      if (announced === 0) throw fail(`compressed chunk at byte ${chunkAt} is empty inside the non-empty block at byte ${blockAt}`);
      chunks.push({ offset: chunkAt, payload, length: announced });
      left -= announced;
    }
  }
  const plains = await mapInOrder(chunks, IN_FLIGHT, (chunk) =>
    unsnappy(chunk.payload, chunk.length, fail, `compressed chunk at byte ${chunk.offset}`),
  );
  return concat(plains);
}

/** A ZIP archive of exactly one stored or deflated entry, its CRC-32 and length verified. */
async function unzipSingleEntry(bytes: Uint8Array): Promise<Uint8Array> {
  const fail = (message: string, cause?: unknown): Error =>
    new Error(`decompress(ZIP): ${message}`, cause === undefined ? undefined : { cause });
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  // The end of central directory record: 22 bytes plus a comment of up to 65 535 bytes, at the end.
  let end = -1;
  for (let p = n - 22; p >= 0 && p >= n - 22 - 0xffff; p--) {
    if (view.readUInt32LE(p) === 0x06054b50 && p + 22 + view.readUInt16LE(p + 20) <= n) {
      end = p;
      break;
    }
  }
  if (end < 0) throw fail('no end of central directory record: not a ZIP archive, or truncated');
  const entries = view.readUInt16LE(end + 10);
  const directoryOffset = view.readUInt32LE(end + 16);
  if (entries === 0xffff || directoryOffset === 0xffffffff) throw fail('ZIP64 archives are not supported');
  if (entries !== 1) throw fail(`expected exactly one entry, as Firehose writes; found ${entries}`);
  const cd = directoryOffset;
  if (cd + 46 > end || view.readUInt32LE(cd) !== 0x02014b50) throw fail(`no central directory header at byte ${cd}`);
  const flags = view.readUInt16LE(cd + 8);
  const method = view.readUInt16LE(cd + 10);
  const crc = view.readUInt32LE(cd + 16);
  const compressedSize = view.readUInt32LE(cd + 20);
  const size = view.readUInt32LE(cd + 24);
  const nameLength = view.readUInt16LE(cd + 28);
  const localAt = view.readUInt32LE(cd + 42);
  const name = cd + 46 + nameLength <= n ? view.toString('utf8', cd + 46, cd + 46 + nameLength) : '?';
  const entry = `entry ${JSON.stringify(name)}`;
  if ((flags & 1) !== 0) throw fail(`${entry} is encrypted, which is not supported`);
  if (compressedSize === 0xffffffff || size === 0xffffffff || localAt === 0xffffffff) throw fail('ZIP64 archives are not supported');
  if (localAt + 30 > n || view.readUInt32LE(localAt) !== 0x04034b50) throw fail(`${entry}: no local file header at byte ${localAt}`);
  const dataAt = localAt + 30 + view.readUInt16LE(localAt + 26) + view.readUInt16LE(localAt + 28);
  if (dataAt + compressedSize > n)
    throw fail(`${entry}: truncated data (${compressedSize} bytes at byte ${dataAt}, archive is ${n} bytes)`);
  const data = bytes.subarray(dataAt, dataAt + compressedSize);
  let deflate: Uint8Array[];
  if (method === 8) {
    deflate = [data];
  } else if (method === 0) {
    if (compressedSize !== size) throw fail(`${entry} is stored, but its sizes differ (${compressedSize} vs ${size})`);
    deflate = storedBlocks(data);
  } else {
    throw fail(`${entry} uses compression method ${method}; only 0 (stored) and 8 (deflate) are supported`);
  }
  // Inflate through gunzip, as the body of a gzip member whose trailer holds the entry's CRC-32 and
  // size: zlib then checks both, natively and off the event loop.
  const header = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(size, 4);
  let plain: Uint8Array;
  try {
    plain = await gunzipParts([header, ...deflate, trailer]);
  } catch (err) {
    const m = messageOf(err);
    const what = /data check/.test(m) ? 'CRC-32 mismatch' : /length check/.test(m) ? 'length mismatch' : 'corrupt deflate data';
    throw fail(`${entry}: ${what} (zlib: ${m}); the data is corrupt`, err);
  }
  if (plain.length !== size) throw fail(`${entry}: inflated to ${plain.length} bytes, the directory says ${size}`);
  return plain;
}

/** Wraps stored bytes as a deflate stream of stored blocks (RFC 1951 §3.2.4), without copying them. */
function storedBlocks(data: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  do {
    const length = Math.min(0xffff, data.length - at);
    const last = at + length === data.length;
    parts.push(Uint8Array.of(last ? 1 : 0, length & 0xff, length >>> 8, ~length & 0xff, (~length >>> 8) & 0xff));
    parts.push(data.subarray(at, at + length));
    at += length;
  } while (at < data.length);
  return parts;
}

async function gunzipParts(parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const stream = createGunzip();
  const out: Buffer[] = [];
  stream.on('data', (piece: Buffer) => out.push(piece));
  const ended = once(stream, 'end');
  ended.catch(() => undefined); // awaited below; this only keeps an early error from counting as unhandled
  for (const part of parts) {
    if (stream.destroyed) break; // failed: \`ended\` rejects with the error
    if (part.length > 0 && !stream.write(part)) await Promise.race([once(stream, 'drain'), ended]);
  }
  if (!stream.destroyed) stream.end();
  await ended;
  return concat(out);
}
