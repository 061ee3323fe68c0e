import { Buffer } from 'node:buffer';

const OPEN = Buffer.from('{"DeliveryStreamName":"');
const RECORDS = Buffer.from(',"Records":['); // after the name's closing quote
const DATA = Buffer.from('{"Data":"');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_RECORD = 0x7d; // }
const CLOSE_LIST = 0x5d; // ]
const EQUALS = 0x3d; // =

/**
 * A PutRecordBatch body read without building its JSON: the stream's name and each record's `Data`, decoded
 * from base64 into one buffer for the whole request (each record a view of it).
 */
export interface ScannedPutRecordBatch {
  readonly DeliveryStreamName: string;
  readonly Records: Array<{ readonly Data: Buffer }>;
}

/**
 * Reads a PutRecordBatch body in the compact form AWS SDKs send
 * (`{"DeliveryStreamName":"…","Records":[{"Data":"…"},…]}`) straight from the chunks it arrived in: no
 * joining of the chunks, no UTF-8 decoding of the whole body, no JSON tree, no object per record before its
 * decoded one; each record's base64 is decoded as it is found into one buffer for the request. Returns
 * `undefined` for any other form (spaces, other key orders, escapes, more fields) and for data that is not
 * plain base64, which the caller then parses as JSON (and refuses as its rules say): this is a faster path
 * for the common case, never a second grammar. The hot path of the API server: a full batch is about 700 KB
 * of JSON in a dozen chunks.
 */
export function scanPutRecordBatch(chunks: readonly Buffer[]): ScannedPutRecordBatch | undefined {
  const cursor = new Cursor(chunks);
  if (!cursor.expect(OPEN)) return undefined;
  const name = cursor.textToQuote();
  if (name === undefined || !/^[a-zA-Z0-9_.-]*$/.test(name)) return undefined; // an escape or UTF-8 takes the JSON path
  if (!cursor.expect(RECORDS)) return undefined;
  // Base64 holds 3 bytes per 4 characters: the data cannot take more than 3/4 of what is left of the body.
  let out = Buffer.allocUnsafe(Math.floor((cursor.remaining * 3) / 4));
  let at = 0;
  const ends: number[] = [];
  if (cursor.peek() === CLOSE_LIST) cursor.skip();
  else {
    for (;;) {
      if (!cursor.expect(DATA)) return undefined;
      const text = cursor.textToQuote();
      if (text === undefined || text.length % 4 !== 0 || cursor.next() !== CLOSE_RECORD) return undefined;
      const length = decodedLength(text);
      // Node skips characters that are not base64: fewer bytes than the text's length says means there were
      // some (or a JSON escape): the JSON path then decides.
      if (length > 0 && out.write(text, at, length, 'base64') !== length) return undefined;
      at += length;
      ends.push(at);
      const after = cursor.next();
      if (after === COMMA) continue;
      if (after === CLOSE_LIST) break;
      return undefined;
    }
  }
  if (cursor.next() !== CLOSE_RECORD || cursor.remaining !== 0) return undefined;
  // Small records carry more JSON per byte: keep no more than a quarter of the buffer unused.
  if (at * 4 < out.byteLength * 3) out = Buffer.from(out.subarray(0, at));
  const Records = new Array<{ Data: Buffer }>(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    Records[i] = { Data: out.subarray(start, ends[i]) };
    start = ends[i]!;
  }
  return { DeliveryStreamName: name, Records };
}

/** The bytes a base64 text of a length divisible by 4 holds. */
function decodedLength(text: string): number {
  const n = text.length;
  const padding = n === 0 ? 0 : text.charCodeAt(n - 1) !== EQUALS ? 0 : text.charCodeAt(n - 2) === EQUALS ? 2 : 1;
  return (n / 4) * 3 - padding;
}

/** A read position in a body of several chunks. */
class Cursor {
  #index = 0;
  #at = 0;
  #chunk: Buffer;
  remaining: number;

  constructor(private readonly chunks: readonly Buffer[]) {
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    this.remaining = total;
    this.#chunk = chunks[0] ?? Buffer.alloc(0);
    this.#settle();
  }

  /** Moves past an exhausted chunk (and empty ones). */
  #settle(): void {
    while (this.#at >= this.#chunk.byteLength && this.#index < this.chunks.length - 1) {
      this.#chunk = this.chunks[++this.#index]!;
      this.#at = 0;
    }
  }

  peek(): number {
    return this.remaining === 0 ? -1 : this.#chunk[this.#at]!;
  }

  skip(): void {
    this.#at++;
    this.remaining--;
    this.#settle();
  }

  next(): number {
    if (this.remaining === 0) return -1;
    const byte = this.#chunk[this.#at]!;
    this.skip();
    return byte;
  }

  /** Whether the bytes at the cursor are `bytes` (moving past them if so). */
  expect(bytes: Buffer): boolean {
    const chunk = this.#chunk;
    const at = this.#at;
    if (at + bytes.byteLength <= chunk.byteLength) {
      // Within the chunk (nearly always).
      for (let i = 0; i < bytes.byteLength; i++) if (chunk[at + i] !== bytes[i]) return false;
      this.#at += bytes.byteLength;
      this.remaining -= bytes.byteLength;
      this.#settle();
      return true;
    }
    for (let i = 0; i < bytes.byteLength; i++) if (this.next() !== bytes[i]) return false;
    return true;
  }

  /**
   * The text (Latin-1) from the cursor to `end` in the current chunk, as a string of its own: Node's base64
   * decoder reads a flat string several times faster than a slice of a string made for the whole chunk.
   */
  #slice(end: number): string {
    return this.#chunk.toString('latin1', this.#at, end);
  }

  /** The text (Latin-1) up to the next `"`, moving past that quote; `undefined` when there is none. */
  textToQuote(): string | undefined {
    let text: string | undefined;
    for (;;) {
      const chunk = this.#chunk;
      const end = chunk.indexOf(QUOTE, this.#at);
      if (end !== -1) {
        const part = this.#slice(end);
        this.remaining -= end + 1 - this.#at;
        this.#at = end + 1;
        this.#settle();
        return text === undefined ? part : text + part;
      }
      if (this.#index >= this.chunks.length - 1) return undefined;
      const part = this.#slice(chunk.byteLength);
      text = text === undefined ? part : text + part;
      this.remaining -= chunk.byteLength - this.#at;
      this.#at = chunk.byteLength;
      this.#settle();
    }
  }
}
