import { Buffer } from 'node:buffer';
import { crc32 } from 'node:zlib';
import { RecordIdSequence } from './RecordIdSequence.js';

/** One accepted record as the write-ahead log keeps it. */
export interface WalEntry {
  readonly recordId: string;
  readonly approximateArrivalTimestamp: number;
  readonly data: Uint8Array;
}

// A segment file starts with SEGMENT_MAGIC, then one frame per append (a whole request):
//   frame   = [u32 LE payload length][u32 LE CRC-32 of the payload][payload]
//   payload = [u32 LE record count] count × ([f64 LE arrival ms][u16 LE id length][id, UTF-8][u32 LE data length])
//             [the records' data, one after the other]
// One checksum per request, not per record: the data of a request decoded into one buffer is written from where
// it is (no copy) and checksummed in one pass. The checksum finds a frame torn by a crash (its write never
// finished, so it was never acknowledged, as a whole) and anything else that is not a whole frame.
// Segments written before this format (no magic: one frame per record, payload
// [f64 arrival][u16 id length][id][data]) are still read.
const SEGMENT_MAGIC = Buffer.from('RXFHWAL2', 'latin1');
const FRAME_HEADER_BYTES = 8;
const PER_RECORD_BYTES = 14; // arrival, id length, data length
const V1_FIXED_PAYLOAD_BYTES = 10;

/** The bytes that start every segment file (write them before its first frame). */
export function segmentMagic(): Buffer {
  return SEGMENT_MAGIC;
}

/** One request's records encoded as a frame, and the ids given to them. */
export interface EncodedFrame {
  /** The frame, as buffers to write in order. */
  readonly buffers: Buffer[];
  readonly byteLength: number;
  /** Each record's id, in order. */
  readonly recordIds: string[];
}

/**
 * Encodes one request's records (`datas`, all arrived at `approximateArrivalTimestamp`) as one frame, each
 * with the next id of `ids`, as buffers to write in order with one `writev`: the frame's header and the
 * records' metadata in one buffer, then the records' data where it is: one buffer when the records are views of
 * one contiguous buffer (as the API server decodes a request), else one per record.
 */
export function encodeFrame(ids: RecordIdSequence, datas: readonly Uint8Array[], approximateArrivalTimestamp: number): EncodedFrame {
  const count = datas.length;
  const headBytes = FRAME_HEADER_BYTES + 4 + count * (PER_RECORD_BYTES + RecordIdSequence.BYTES);
  let dataBytes = 0;
  for (let i = 0; i < count; i++) dataBytes += datas[i]!.byteLength;
  const head = Buffer.allocUnsafe(headBytes);
  const recordIds = new Array<string>(count);
  let at = FRAME_HEADER_BYTES;
  head.writeUInt32LE(count, at);
  at += 4;
  for (let i = 0; i < count; i++) {
    head.writeDoubleLE(approximateArrivalTimestamp, at);
    head.writeUInt16LE(RecordIdSequence.BYTES, at + 8);
    recordIds[i] = ids.write(head, at + 10);
    head.writeUInt32LE(datas[i]!.byteLength, at + 10 + RecordIdSequence.BYTES);
    at += PER_RECORD_BYTES + RecordIdSequence.BYTES;
  }
  const data = contiguous(datas) ?? datas.map(asBuffer);
  head.writeUInt32LE(headBytes - FRAME_HEADER_BYTES + dataBytes, 0);
  let crc = crc32(head.subarray(FRAME_HEADER_BYTES));
  for (const d of data) crc = crc32(d, crc);
  head.writeUInt32LE(crc, 4);
  return { buffers: [head, ...data], byteLength: headBytes + dataBytes, recordIds };
}

/** The records' data as one buffer, when each record's data follows the previous one's in the same memory. */
function contiguous(datas: readonly Uint8Array[]): Buffer[] | undefined {
  if (datas.length === 0) return [];
  const first = datas[0]!;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < datas.length; i++) {
    const d = datas[i]!;
    if (d.buffer !== first.buffer || d.byteOffset !== end) return undefined;
    end += d.byteLength;
  }
  return [Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset)];
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** What a segment's bytes hold: its whole frames' records, and how many bytes they take (the rest is a torn tail). */
export interface DecodedSegment {
  readonly entries: WalEntry[];
  readonly validBytes: number;
}

/** Decodes the whole frames of a segment file, stopping at the first frame that is short or fails its checksum. */
export function decodeSegment(bytes: Buffer): DecodedSegment {
  if (bytes.byteLength < SEGMENT_MAGIC.byteLength || !bytes.subarray(0, SEGMENT_MAGIC.byteLength).equals(SEGMENT_MAGIC))
    return decodeV1Segment(bytes);
  const entries: WalEntry[] = [];
  let at = SEGMENT_MAGIC.byteLength;
  frames: while (at + FRAME_HEADER_BYTES <= bytes.byteLength) {
    const length = bytes.readUInt32LE(at);
    const payloadAt = at + FRAME_HEADER_BYTES;
    const end = payloadAt + length;
    if (length < 4 || end > bytes.byteLength) break;
    const payload = bytes.subarray(payloadAt, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    const count = payload.readUInt32LE(0);
    const frame: WalEntry[] = [];
    let meta = 4;
    let dataAt = 4;
    // First pass: where the data starts (after every record's metadata).
    for (let i = 0; i < count; i++) {
      if (meta + PER_RECORD_BYTES > length) break frames;
      meta += PER_RECORD_BYTES + payload.readUInt16LE(meta + 8);
    }
    dataAt = meta;
    meta = 4;
    for (let i = 0; i < count; i++) {
      const idBytes = payload.readUInt16LE(meta + 8);
      const dataBytes = payload.readUInt32LE(meta + 10 + idBytes);
      if (dataAt + dataBytes > length) break frames;
      // The fields in a record's order: the entry becomes the record (one shape for replayed and new ones).
      frame.push({
        recordId: payload.toString('utf8', meta + 10, meta + 10 + idBytes),
        data: payload.subarray(dataAt, dataAt + dataBytes),
        approximateArrivalTimestamp: payload.readDoubleLE(meta),
      });
      meta += PER_RECORD_BYTES + idBytes;
      dataAt += dataBytes;
    }
    for (const e of frame) entries.push(e);
    at = end;
  }
  return { entries, validBytes: at };
}

/** The format before SEGMENT_MAGIC: one frame per record. */
function decodeV1Segment(bytes: Buffer): DecodedSegment {
  const entries: WalEntry[] = [];
  let at = 0;
  while (at + FRAME_HEADER_BYTES <= bytes.byteLength) {
    const length = bytes.readUInt32LE(at);
    const payloadAt = at + FRAME_HEADER_BYTES;
    const end = payloadAt + length;
    if (length < V1_FIXED_PAYLOAD_BYTES || end > bytes.byteLength) break;
    const payload = bytes.subarray(payloadAt, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    const idBytes = payload.readUInt16LE(8);
    if (V1_FIXED_PAYLOAD_BYTES + idBytes > length) break;
    entries.push({
      recordId: payload.toString('utf8', V1_FIXED_PAYLOAD_BYTES, V1_FIXED_PAYLOAD_BYTES + idBytes),
      data: payload.subarray(V1_FIXED_PAYLOAD_BYTES + idBytes),
      approximateArrivalTimestamp: payload.readDoubleLE(0),
    });
    at = end;
  }
  return { entries, validBytes: at };
}
