import { Buffer } from 'node:buffer';
import { open } from 'node:fs/promises';

/** A file's bytes as chunks read into buffers that are used again once their lines are settled. */
export interface RecyclingFileChunks extends AsyncIterable<Uint8Array> {
  /**
   * Every line below `offsetBytes` (counted from the first byte read) is settled: no record's data points
   * into a chunk that ends there or before, and its buffer may be read into again.
   */
  settledTo(offsetBytes: number): void;
}

/**
 * The file at `path` in chunks of `chunkBytes`, from byte `startBytes` (`undefined`: as it comes, for a pipe,
 * which cannot be read from an offset), for `fromLines` when the pipeline is the CLI's own: a buffer whose every
 * line was settled (`settledTo`, fed by `fromLines`'s `onCheckpoint`) is read into again, instead of a new one
 * per read as a file stream allocates. New memory is slow the first time it is touched: scanning 300 MiB of
 * lines just read into new buffers took 0.5 s of CPU on this project's benchmark machine, in buffers touched
 * before 0.03 s, and the reads themselves fault every page in; reused buffers made the CLI's GZIP job use
 * ≈ 0.4 s of CPU less (5–8% of its time) and 50 MiB less memory (bench/README.md).
 *
 * Only safe where nothing keeps a record's data once it settled, which holds for the CLI's pipeline (lines →
 * batches → compressed objects, the records dropped at delivery), not for a library user's (a record kept in a
 * list would change under them): the library's `fromLines` takes any stream, and a file stream allocates.
 * At most `keepBuffers` free buffers are kept, and twice as many chunks waiting to be settled; more are left to
 * the garbage collector.
 */
export function recyclingFileChunks(
  path: string,
  startBytes: number | undefined,
  chunkBytes: number,
  keepBuffers = 16,
): RecyclingFileChunks {
  let settled = 0;
  // Chunks handed out and not yet settled, oldest first: their buffers and where they end (from the start).
  const held: { buffer: Buffer; end: number }[] = [];
  const free: Buffer[] = [];
  const recycle = (): void => {
    while (held.length > 0 && held[0]!.end <= settled) {
      const { buffer } = held.shift()!;
      if (free.length < keepBuffers) free.push(buffer);
    }
  };
  return {
    settledTo(offsetBytes: number): void {
      if (offsetBytes > settled) settled = offsetBytes;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      const file = await open(path, 'r');
      try {
        let read = 0;
        for (;;) {
          recycle();
          const buffer = free.pop() ?? Buffer.allocUnsafeSlow(chunkBytes);
          const { bytesRead } = await file.read(buffer, 0, chunkBytes, startBytes === undefined ? null : startBytes + read);
          if (bytesRead === 0) return;
          read += bytesRead;
          held.push({ buffer, end: read });
          // A record that stays unsettled (a batch retried for hours) holds the checkpoint back while later chunks
          // are read and delivered: let the oldest go rather than keep every chunk read since (their records
          // keep what they need alive).
          if (held.length > 2 * keepBuffers) held.shift();
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await file.close();
      }
    },
  };
}
