import { Buffer } from 'node:buffer';
import { crc32 } from 'node:zlib';

/** One accepted record as the write-ahead log keeps it. */
export interface WalEntry {
  readonly recordId: string;
  readonly approximateArrivalTimestamp: number;
  readonly data: Uint8Array;
}

// A frame: [u32 LE payload length][u32 LE CRC-32 of the payload][payload], and the payload:
// [f64 LE arrival ms][u16 LE record id length][record id, UTF-8][data]. The checksum finds a frame torn by a
// crash (its write never finished, so it was never acknowledged) and anything else that is not a whole frame.
const HEADER_BYTES = 8;
const FIXED_PAYLOAD_BYTES = 10;

/** Encodes `entries` as consecutive frames in one buffer (one write for a whole request). */
export function encodeEntries(entries: readonly WalEntry[]): Buffer {
  let total = 0;
  for (const e of entries) total += HEADER_BYTES + FIXED_PAYLOAD_BYTES + Buffer.byteLength(e.recordId, 'utf8') + e.data.byteLength;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const e of entries) {
    const payloadAt = at + HEADER_BYTES;
    out.writeDoubleLE(e.approximateArrivalTimestamp, payloadAt);
    const idBytes = out.write(e.recordId, payloadAt + FIXED_PAYLOAD_BYTES, 'utf8');
    out.writeUInt16LE(idBytes, payloadAt + 8);
    const dataAt = payloadAt + FIXED_PAYLOAD_BYTES + idBytes;
    out.set(e.data, dataAt);
    const end = dataAt + e.data.byteLength;
    out.writeUInt32LE(end - payloadAt, at);
    out.writeUInt32LE(crc32(out.subarray(payloadAt, end)), at + 4);
    at = end;
  }
  return out;
}

/** What a segment's bytes hold: its whole frames, and how many bytes they take (the rest is a torn tail). */
export interface DecodedSegment {
  readonly entries: WalEntry[];
  readonly validBytes: number;
}

/** Decodes the whole frames at the start of `bytes`, stopping at the first frame that is short or fails its checksum. */
export function decodeSegment(bytes: Buffer): DecodedSegment {
  const entries: WalEntry[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.byteLength) {
    const length = bytes.readUInt32LE(at);
    const payloadAt = at + HEADER_BYTES;
    const end = payloadAt + length;
    if (length < FIXED_PAYLOAD_BYTES || end > bytes.byteLength) break;
    const payload = bytes.subarray(payloadAt, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    const idBytes = payload.readUInt16LE(8);
    if (FIXED_PAYLOAD_BYTES + idBytes > length) break;
    entries.push({
      approximateArrivalTimestamp: payload.readDoubleLE(0),
      recordId: payload.toString('utf8', FIXED_PAYLOAD_BYTES, FIXED_PAYLOAD_BYTES + idBytes),
      data: payload.subarray(FIXED_PAYLOAD_BYTES + idBytes),
    });
    at = end;
  }
  return { entries, validBytes: at };
}
