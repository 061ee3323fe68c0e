import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { InvalidOptionError, typeNameOf } from '../errors/InvalidOptionError.js';
import { checkNumber } from '../options/checkNumber.js';
import { checkCompression } from './checkCompression.js';
import type { Compression } from './compression.js';
import { crc32c } from './crc32c.js';
import { mapInOrder } from './mapInOrder.js';

/**
 * Options of {@link compress}.
 *
 * Both are optional; `gzipLevel` applies to `GZIP` and `ZIP`, `zipEntryName` to `ZIP` only.
 *
 * ## Example
 * ```ts
 * import { compress, type CompressOptions } from 'rx-firehose';
 * const options: CompressOptions = { gzipLevel: 1, zipEntryName: 'events.json' };
 * const body = await compress('ZIP', [new TextEncoder().encode('{"a":1}\n')], options);
 * ```
 */
export interface CompressOptions {
  /**
   * The deflate level, 0 (store) to 9 (smallest), for `GZIP` and for the entry of a `ZIP`.
   * Default 6: zlib's and the `gzip` tool's own default, so the output is what anyone gzipping the
   * same bytes would get.
   */
  readonly gzipLevel?: number | undefined;
  /** The name of the single entry of a `ZIP` archive; default `data`. Ignored by the other formats. */
  readonly zipEntryName?: string | undefined;
}

const COMPONENT = 'compress';
/** zlib's and gzip(1)'s default level. */
const DEFAULT_GZIP_LEVEL = 6;
const DEFAULT_ZIP_ENTRY_NAME = 'data';

/** Snappy framing format: the most uncompressed bytes one data chunk may carry. */
const FRAME_MAX = 65_536;
/** Snappy framing format: the stream identifier chunk, `sNaPpY` with type 0xff and length 6. */
const STREAM_IDENTIFIER = Uint8Array.of(0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59);

/**
 * HADOOP_SNAPPY: the most uncompressed bytes per block, as Hadoop's `SnappyCodec` sizes them:
 * `BlockCompressorStream` gets `io.compression.codec.snappy.buffersize` (default 256 KiB) minus the
 * codec's compression overhead `bufferSize / 6 + 32`, i.e. 262 144 − 43 722 = 218 422 bytes. Keeping
 * to it guarantees that every compressed chunk (at most 32 + n + n/6 = 254 857 bytes) fits the
 * 256 KiB buffer of a Hadoop `SnappyDecompressor` with default settings.
 */
const HADOOP_BLOCK_MAX = 256 * 1024 - (Math.floor((256 * 1024) / 6) + 32);

/** Native (de)compression calls in flight at once: the size of libuv's default thread pool. */
const IN_FLIGHT = 4;

/**
 * gzip input pieces: a span of at least WHOLE bytes is written as it is; smaller ones are gathered (copied)
 * into writes of at least GATHER bytes. Every write to a zlib stream is a round trip to the thread pool that
 * waits for the event loop to hand over the next one.
 */
const GATHER = 1024 * 1024;
const WHOLE = 256 * 1024;
/** Bounds of zlib's output buffer for a gzip member (see `gzipPieces`). */
const GZIP_OUTPUT_MAX_BYTES = 1024 * 1024;
const GZIP_OUTPUT_MIN_BYTES = 16 * 1024;

/**
 * Compresses the concatenation of `chunks` (the data of a batch's records, in order) as Firehose
 * would compress one S3 object, and resolves to the object's bytes.
 *
 * The heavy work runs off the event loop: deflate on the libuv thread pool (node:zlib, streamed in
 * pieces of about 1 MiB), Snappy in native code on the same pool, at most 4 calls at a time. Only the
 * Snappy framing format's CRC-32C is computed on the main thread, while the pool compresses. Inputs are
 * copied only where a format needs contiguous bytes that span two chunks (a Snappy chunk or block
 * crossing a record boundary) or to gather records into 1 MiB gzip writes (fewer round trips to the
 * pool; a chunk of 1 MiB or more is written as it is); the result is assembled once. The chunks are read
 * while the promise is pending: do not modify them until it settles.
 *
 * - `UNCOMPRESSED`: the concatenation. With a single chunk, that chunk itself is returned (no copy).
 * - `GZIP`: one gzip member at `gzipLevel` (default 6), no file name, mtime 0: byte for byte what
 *   `zlib.gzip` of the concatenation gives at the same level (1–9).
 * - `ZIP`: a ZIP archive with one entry named `zipEntryName` (default `data`), deflated at
 *   `gzipLevel`, dated 1980-01-01 00:00 (the DOS epoch: the output depends on the input only).
 *   Objects of 4 GiB or more, which need ZIP64, are refused with a `RangeError`.
 * - `Snappy`: the Snappy framing format: stream identifier, then one chunk per 65 536 bytes, each
 *   with the masked CRC-32C of its uncompressed bytes; a chunk that Snappy shrinks by less than 1/8
 *   is stored as an uncompressed chunk instead, as the format allows.
 * - `HADOOP_SNAPPY`: Hadoop's block format: blocks of at most 218 422 uncompressed bytes (Hadoop's
 *   default for a 256 KiB buffer), each `[uncompressed length, 4 bytes big-endian]
 *   [compressed length, 4 bytes big-endian][raw Snappy]`. Empty input gives one empty block (4 zero
 *   bytes), as Hadoop writes it.
 *
 * An unknown `compression` or a `gzipLevel` outside 0–9 rejects with an `InvalidOptionError`.
 *
 * ## Example
 * ```ts
 * import { compress, extensionOf } from 'rx-firehose';
 * const records = ['{"a":1}\n', '{"a":2}\n'].map((s) => new TextEncoder().encode(s));
 * const body = await compress('GZIP', records);              // bytes of a .gz file
 * const key = `batch-0001${extensionOf('GZIP')}`;            // 'batch-0001.gz'
 * const zip = await compress('ZIP', records, { zipEntryName: 'batch-0001.json' });
 * ```
 */
export async function compress(
  compression: Compression,
  chunks: readonly Uint8Array[],
  options: CompressOptions = {},
): Promise<Uint8Array> {
  checkCompression(COMPONENT, 'compression', compression);
  const level = checkNumber(COMPONENT, 'gzipLevel', options.gzipLevel, DEFAULT_GZIP_LEVEL, { min: 0, max: 9, integer: true });
  const entryName = checkEntryName(options.zipEntryName);
  const total = totalLength(chunks);
  switch (compression) {
    case 'UNCOMPRESSED':
      return concatenate(chunks, total);
    case 'GZIP':
      return Buffer.concat(await gzipPieces(chunks, total, level));
    case 'ZIP':
      return zipArchive(chunks, total, level, entryName);
    case 'Snappy':
      return snappyFramed(chunks, total);
    case 'HADOOP_SNAPPY':
      return hadoopSnappy(chunks, total);
  }
}

function checkEntryName(name: unknown): Uint8Array {
  if (name === undefined) return Buffer.from(DEFAULT_ZIP_ENTRY_NAME, 'utf8');
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : undefined;
  if (bytes === undefined || bytes.length === 0 || bytes.length > 0xffff) {
    throw new InvalidOptionError(COMPONENT, 'zipEntryName', name, 'a non-empty string of at most 65 535 UTF-8 bytes');
  }
  return bytes;
}

function totalLength(chunks: readonly Uint8Array[]): number {
  if (!Array.isArray(chunks)) {
    throw new TypeError(`${COMPONENT}: chunks must be an array of Uint8Array; got a value of type ${typeNameOf(chunks)}`);
  }
  let total = 0;
  for (let i = 0; i < chunks.length; i++) {
    const chunk: unknown = chunks[i];
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(`${COMPONENT}: chunks[${i}] must be a Uint8Array (or Buffer); got a value of type ${typeNameOf(chunk)}`);
    }
    total += chunk.length;
  }
  return total;
}

function concatenate(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, total);
}

/**
 * The chunks with neighbours in memory joined into one view each, without copying: records that a source cut
 * from one read buffer (`fromLines` makes each line a view of its read chunk) lie end to end, so a batch of
 * them is a few large spans.
 */
function* spans(chunks: readonly Uint8Array[]): Generator<Uint8Array> {
  let first: Uint8Array | undefined;
  let end = 0;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    if (chunk.length === 0) continue;
    if (first !== undefined && chunk.buffer === first.buffer && chunk.byteOffset === end) {
      end += chunk.length;
      continue;
    }
    if (first !== undefined) yield spanOf(first, end);
    first = chunk;
    end = chunk.byteOffset + chunk.length;
  }
  if (first !== undefined) yield spanOf(first, end);
}

function spanOf(first: Uint8Array, end: number): Uint8Array {
  return end === first.byteOffset + first.length ? first : new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}

/**
 * Pieces to write to a zlib stream: spans of at least WHOLE bytes as they are (no copy), runs of smaller ones
 * gathered into one buffer of at least GATHER bytes. A batch of lines read in 64 KiB chunks is 16 spans per
 * MiB: written one by one, each waited for a pool thread to finish the last and for the event loop (busy
 * reading) to hand it over, which left the pool idle; one copy per MiB costs less than those waits. A 1 MiB
 * batch of lines read in 1 MiB chunks (the CLI's files) is one or two spans, mostly written without a copy.
 */
function* gathered(chunks: readonly Uint8Array[]): Generator<Uint8Array> {
  let run: Uint8Array[] = [];
  let runBytes = 0;
  for (const chunk of spans(chunks)) {
    if (chunk.length >= WHOLE) {
      if (runBytes > 0) yield Buffer.concat(run, runBytes);
      run = [];
      runBytes = 0;
      yield chunk;
      continue;
    }
    run.push(chunk);
    runBytes += chunk.length;
    if (runBytes >= GATHER) {
      yield Buffer.concat(run, runBytes);
      run = [];
      runBytes = 0;
    }
  }
  if (runBytes > 0) yield Buffer.concat(run, runBytes);
}

/**
 * The pieces of one gzip member of the concatenated chunks (`total` bytes), deflated on the thread pool. zlib
 * hands its output back to the event loop a buffer (`chunkSize`) at a time, and the pool thread waits for the
 * event loop before it goes on: a buffer as large as the input (up to 1 MiB, at least 16 KiB) makes that one
 * round trip for most batches. 1 MiB instead of 128 KiB made the CLI's GZIP job 3% faster (300 MiB of JSON lines,
 * 7 rounds alternating, each faster); a small batch does not get a large buffer.
 */
async function gzipPieces(chunks: readonly Uint8Array[], total: number, level: number): Promise<Buffer[]> {
  const gzip = createGzip({ level, chunkSize: Math.min(GZIP_OUTPUT_MAX_BYTES, Math.max(GZIP_OUTPUT_MIN_BYTES, total)) });
  const pieces: Buffer[] = [];
  gzip.on('data', (piece: Buffer) => pieces.push(piece));
  const ended = once(gzip, 'end');
  ended.catch(() => undefined); // awaited below; this only keeps an early error from counting as unhandled
  for (const piece of gathered(chunks)) {
    if (gzip.destroyed) break; // failed: \`ended\` rejects with the error
    if (!gzip.write(piece)) await Promise.race([once(gzip, 'drain'), ended]);
  }
  if (!gzip.destroyed) gzip.end();
  await ended;
  return pieces;
}

/**
 * A ZIP archive of one deflated entry. The deflate stream, its CRC-32 and its length come from a
 * gzip member of the same bytes: a gzip member is a 10-byte header, a raw deflate stream, then the
 * CRC-32 and the length (mod 2^32) of the uncompressed data, exactly what a ZIP entry needs. So ZIP
 * takes the same native, off-the-event-loop path as GZIP and needs no CRC-32 pass of its own.
 */
async function zipArchive(chunks: readonly Uint8Array[], total: number, level: number, name: Uint8Array): Promise<Uint8Array> {
  if (total >= 0xffffffff) {
    throw new RangeError(`${COMPONENT}: ZIP of ${total} bytes needs ZIP64, which is not supported (at most 4 294 967 294 bytes)`);
  }
  const gz = await gzipPieces(chunks, total, level);
  const gzLength = gz.reduce((sum, piece) => sum + piece.length, 0);
  const head = bytesAt(gz, 0, 10);
  // zlib writes a bare 10-byte header: magic 1f 8b, method 8, no flags (so no name, extra or comment).
  if (head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8 || head[3] !== 0) {
    throw new Error(`${COMPONENT}: unexpected gzip header from zlib: ${Buffer.from(head).toString('hex')}`);
  }
  const trailer = Buffer.from(bytesAt(gz, gzLength - 8, 8));
  const crc = trailer.readUInt32LE(0);
  if (trailer.readUInt32LE(4) !== total % 2 ** 32) throw new Error(`${COMPONENT}: gzip length check failed`);
  const deflatedLength = gzLength - 18;
  if (deflatedLength >= 0xffffffff) {
    throw new RangeError(`${COMPONENT}: ZIP entry of ${deflatedLength} compressed bytes needs ZIP64, which is not supported`);
  }

  const utf8Flag = name.some((b) => b >= 0x80) ? 0x0800 : 0; // general purpose bit 11: the name is UTF-8
  const local = Buffer.alloc(30 + name.length);
  local.writeUInt32LE(0x04034b50, 0); // local file header signature
  local.writeUInt16LE(20, 4); // version needed to extract: 2.0 (deflate)
  local.writeUInt16LE(utf8Flag, 6);
  local.writeUInt16LE(8, 8); // compression method: deflate
  local.writeUInt16LE(0x0000, 10); // last mod time: 00:00:00
  local.writeUInt16LE(0x0021, 12); // last mod date: 1980-01-01
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(deflatedLength, 18);
  local.writeUInt32LE(total, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(0, 28); // extra field length
  local.set(name, 30);

  const central = Buffer.alloc(46 + name.length);
  central.writeUInt32LE(0x02014b50, 0); // central directory file header signature
  central.writeUInt16LE((3 << 8) | 20, 4); // version made by: UNIX, 2.0 (so the mode below is read)
  central.writeUInt16LE(20, 6); // version needed to extract
  central.writeUInt16LE(utf8Flag, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(0x0000, 12);
  central.writeUInt16LE(0x0021, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(deflatedLength, 20);
  central.writeUInt32LE(total, 24);
  central.writeUInt16LE(name.length, 28);
  // extra length, comment length, disk number start, internal attributes: 0 (Buffer.alloc)
  central.writeUInt32LE(0o100644 * 0x10000, 38); // external attributes: a regular file, rw-r--r--
  central.writeUInt32LE(0, 42); // offset of the local header
  central.set(name, 46);

  const directoryOffset = local.length + deflatedLength;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
  end.writeUInt16LE(1, 8); // entries on this disk
  end.writeUInt16LE(1, 10); // entries in total
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(directoryOffset, 16);

  const out = Buffer.allocUnsafe(directoryOffset + central.length + end.length);
  out.set(local, 0);
  copyRange(gz, 10, deflatedLength, out, local.length);
  out.set(central, directoryOffset);
  out.set(end, directoryOffset + central.length);
  return out;
}

/** `length` bytes from position `start` of the concatenation of `pieces`, as a fresh array. */
function bytesAt(pieces: readonly Uint8Array[], start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  copyRange(pieces, start, length, out, 0);
  return out;
}

/** Copies `length` bytes from position `start` of the concatenation of `pieces` into `target` at `at`. */
function copyRange(pieces: readonly Uint8Array[], start: number, length: number, target: Uint8Array, at: number): void {
  let skip = start;
  let left = length;
  for (const piece of pieces) {
    if (left === 0) return;
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    const part = piece.subarray(skip, skip + left);
    target.set(part, at);
    at += part.length;
    left -= part.length;
    skip = 0;
  }
  if (left > 0) throw new RangeError(`${COMPONENT}: internal error: range past the end of the data`);
}

/**
 * The concatenation of `chunks` cut into consecutive windows of `size` bytes (the last one shorter).
 * A window inside one chunk is a view of it; only a window that spans chunks is copied, into a fresh
 * buffer (native code may still be reading an earlier window, so none is reused).
 */
function* windows(chunks: readonly Uint8Array[], total: number, size: number): Generator<Uint8Array> {
  let index = 0;
  let offset = 0;
  let left = total;
  while (left > 0) {
    const want = Math.min(size, left);
    let chunk = chunks[index]!;
    while (offset === chunk.length) {
      chunk = chunks[++index]!;
      offset = 0;
    }
    if (chunk.length - offset >= want) {
      yield chunk.subarray(offset, offset + want);
      offset += want;
    } else {
      const window = Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        while (offset === chunk.length) {
          chunk = chunks[++index]!;
          offset = 0;
        }
        const take = Math.min(chunk.length - offset, want - filled);
        // A whole record is copied as it is: a view per record would cost an allocation each.
        window.set(take === chunk.length ? chunk : chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
      }
      yield window;
    }
    left -= want;
  }
}

/** The Snappy framing format of the concatenated chunks. */
async function snappyFramed(chunks: readonly Uint8Array[], total: number): Promise<Uint8Array> {
  const { compress: snappyCompress } = await import('snappy'); // a native addon: loaded when first used, not at start-up
  const frames = await mapInOrder(windows(chunks, total, FRAME_MAX), IN_FLIGHT, async (window) => {
    const compressing = snappyCompress(window);
    const checksum = crc32c(window); // on the main thread while the pool compresses
    const masked = ((((checksum >>> 15) | (checksum << 17)) >>> 0) + 0xa282ead8) >>> 0;
    const compressed = await compressing;
    // Keep the compressed form only when it saves at least 1/8 (the threshold of python-snappy and
    // Go's snappy); otherwise an uncompressed chunk is smaller or barely larger, and faster to read.
    const useCompressed = compressed.length < window.length - (window.length >>> 3);
    const payload = useCompressed ? compressed : window;
    const header = Buffer.allocUnsafe(8);
    const length = payload.length + 4;
    header[0] = useCompressed ? 0x00 : 0x01; // chunk type: compressed / uncompressed data
    header[1] = length & 0xff; // chunk length: 3 bytes little-endian, counting the checksum
    header[2] = (length >>> 8) & 0xff;
    header[3] = length >>> 16;
    header.writeUInt32LE(masked, 4);
    return [header, payload] as const;
  });
  const parts: Uint8Array[] = [STREAM_IDENTIFIER];
  let length = STREAM_IDENTIFIER.length;
  for (const [header, payload] of frames) {
    parts.push(header, payload);
    length += header.length + payload.length;
  }
  return Buffer.concat(parts, length);
}

/** Hadoop's SnappyCodec block format of the concatenated chunks: one compressed chunk per block. */
async function hadoopSnappy(chunks: readonly Uint8Array[], total: number): Promise<Uint8Array> {
  // Hadoop writes an empty stream as a single block header of length 0, which its reader takes as
  // the end of the data.
  if (total === 0) return new Uint8Array(4);
  const { compress: snappyCompress } = await import('snappy');
  const blocks = await mapInOrder(windows(chunks, total, HADOOP_BLOCK_MAX), IN_FLIGHT, async (window) => {
    const compressed = await snappyCompress(window);
    const header = Buffer.allocUnsafe(8);
    header.writeUInt32BE(window.length, 0); // uncompressed length of the block
    header.writeUInt32BE(compressed.length, 4); // length of its (only) compressed chunk
    return [header, compressed] as const;
  });
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const [header, compressed] of blocks) {
    parts.push(header, compressed);
    length += header.length + compressed.length;
  }
  return Buffer.concat(parts, length);
}
