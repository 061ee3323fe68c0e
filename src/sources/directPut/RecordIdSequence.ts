import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const PREFIX_BYTES = 24;
const COUNTER_DIGITS = 12;

/**
 * The record ids of one source: 24 random hex digits, then a 12-hex-digit counter (36 ASCII characters,
 * unique across restarts). Each id is written straight into the log frame that holds it and read back from
 * there as one flat string: no number-to-text, padding or concatenation per record.
 */
export class RecordIdSequence {
  /** The bytes of every id. */
  static readonly BYTES = PREFIX_BYTES + COUNTER_DIGITS;
  readonly #prefix = Buffer.from(randomBytes(PREFIX_BYTES / 2).toString('hex'), 'latin1');
  #next = 0;

  /** Writes the next id at `at` in `into` ({@link RecordIdSequence.BYTES} bytes) and returns it. */
  write(into: Buffer, at: number): string {
    this.#prefix.copy(into, at);
    let n = this.#next++;
    for (let i = at + RecordIdSequence.BYTES - 1; i >= at + PREFIX_BYTES; i--) {
      into[i] = HEX[n % 16]!;
      n = Math.floor(n / 16);
    }
    return into.toString('latin1', at, at + RecordIdSequence.BYTES);
  }
}
