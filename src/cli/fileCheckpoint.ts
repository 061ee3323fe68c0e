import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A file input's checkpoint, kept in `dir`: the byte offset below which every line was delivered (or written to the error
 * output). `load` gives where to resume (0 without a checkpoint, or when the file is now shorter than it,
 * which means it was replaced); `save` writes it atomically (a temporary file renamed over it) off the main
 * thread, one write at a time, the saves made meanwhile coalesced into the next; `flush` writes what is left
 * at once (or leaves it to the write in flight, which the process waits for before it exits).
 */
export function fileCheckpoint(
  dir: string,
  inputPath: string,
): { readonly path: string; load(): { offsetBytes: number; note?: string }; save(offsetBytes: number): void; flush(): void } {
  // One checkpoint per input: <dir>/<file name>-<hash of its absolute path>.json
  const path = join(dir, `${basename(inputPath)}-${createHash('sha256').update(inputPath).digest('hex').slice(0, 12)}.json`);
  let pending: number | undefined;
  // One write in flight at a time, so that an older offset never lands after a newer one.
  let writing = false;
  let scheduled = false;
  let dirMade = false;
  const temp = `${path}.${process.pid}.tmp`;
  const content = (offsetBytes: number): string =>
    `${JSON.stringify({ input: inputPath, offsetBytes, savedAt: new Date().toISOString() })}\n`;
  const write = (offsetBytes: number): void => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temp, content(offsetBytes));
    renameSync(temp, path);
  };
  // The saves of a whole batch settle in one turn: written once, on the thread pool (a synchronous write per
  // delivered batch blocked the main thread for the disk's latency each time).
  const writeNext = (): void => {
    if (writing || pending === undefined) return;
    const offsetBytes = pending;
    pending = undefined;
    writing = true;
    void (async () => {
      // The directory is made once, not before every save (each save is a round trip to the thread pool,
      // which compresses too); if it went away meanwhile, the write fails with ENOENT and it is made again.
      if (!dirMade) await mkdir(dirname(path), { recursive: true });
      dirMade = true;
      await writeFile(temp, content(offsetBytes)).catch(async (err: unknown) => {
        if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(temp, content(offsetBytes));
      });
      await rename(temp, path);
    })().then(() => {
      writing = false;
      writeNext();
    });
  };
  const flush = (): void => {
    if (writing || pending === undefined) return; // the write in flight writes what is pending when it lands
    const offset = pending;
    pending = undefined;
    write(offset);
  };
  return {
    path,
    load() {
      let saved: { input?: unknown; offsetBytes?: unknown };
      try {
        saved = JSON.parse(readFileSync(path, 'utf8')) as typeof saved;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT') return { offsetBytes: 0 };
        return { offsetBytes: 0, note: `the checkpoint ${path} is unreadable (${(err as Error).message}); reading from the start` };
      }
      const offset = saved.offsetBytes;
      if (saved.input !== inputPath || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        return { offsetBytes: 0, note: `the checkpoint ${path} is not one of ${inputPath}; reading from the start` };
      }
      const size = statSync(inputPath).size;
      if (offset > size)
        return {
          offsetBytes: 0,
          note: `${inputPath} is shorter than its checkpoint (${size} < ${offset} bytes): replaced? reading from the start`,
        };
      return {
        offsetBytes: offset,
        ...(offset > 0 ? { note: `resuming ${inputPath} at byte ${offset} (checkpoint ${path}; --from-start to read it all)` } : {}),
      };
    },
    save(offsetBytes) {
      pending = offsetBytes;
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          writeNext();
        });
      }
    },
    flush,
  };
}
