import { lastValueFrom, tap } from 'rxjs';
import { fromLines } from '../src/sources/lines/fromLines.js';
import { settleRecord } from '../src/settlement/settleRecord.js';

const MIB = 1_048_576;
const CHUNK = 65_536;

/** `totalBytes` of input in 64 KiB chunks: lines of `lineBytes` (their last byte a newline). */
async function* input(totalBytes: number, lineBytes: number): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(CHUNK).fill(0x78);
  let sinceNewline = 0;
  for (let sent = 0; sent < totalBytes; sent += CHUNK) {
    const out = new Uint8Array(chunk);
    for (let i = 0; i < CHUNK; i++) {
      if (++sinceNewline === lineBytes) {
        out[i] = 0x0a;
        sinceNewline = 0;
      }
    }
    yield out;
  }
}

async function timeMs(totalBytes: number, lineBytes: number): Promise<number> {
  const started = performance.now();
  await lastValueFrom(
    fromLines(input(totalBytes, lineBytes), { maxRecordBytes: 128 * MIB }).pipe(tap((r) => settleRecord(r, 'delivered'))),
    { defaultValue: undefined },
  );
  return performance.now() - started;
}

/**
 * fromLines on long lines: reading 32 MiB as one line against 32 MiB of 1 KiB lines, in the same process.
 * Linear time keeps the ratio near 1 (it was quadratic: an 8 MiB line took 4.6 s, 32 MiB 88 s).
 */
export async function benchFromLines(): Promise<void> {
  await timeMs(4 * MIB, 1_024); // warm up
  const short = await timeMs(32 * MIB, 1_024);
  const long = await timeMs(32 * MIB, 32 * MIB);
  const longer = await timeMs(64 * MIB, 64 * MIB);
  console.log(
    `fromLines: 32 MiB as 1 KiB lines ${short.toFixed(0)} ms, as one line ${long.toFixed(0)} ms (ratio ${(long / short).toFixed(2)}); ` +
      `one 64 MiB line ${longer.toFixed(0)} ms (${(longer / long).toFixed(2)} × the 32 MiB line: linear)`,
  );
}
