import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidOptionError } from '../../../errors/InvalidOptionError.js';
import type { Checkpoint, CheckpointStore } from './CheckpointStore.js';

const NAME = 'fileCheckpointStore';
const VERSION = 1;

export interface FileCheckpointStoreOptions {
  /** The JSON file; its directory is created when missing. */
  readonly path: string;
  /** Flush the file and its directory to disk before a save resolves, so checkpoints survive a power failure. Default `true`. */
  readonly fsync?: boolean | undefined;
}

/** The file's content: checkpoints by stream name, then shard id. */
interface CheckpointFile {
  readonly version: number;
  readonly streams: Record<string, Record<string, Checkpoint>>;
}

/** What every store object on one file shares: its content as last read or written, and the queue of its reads and writes. */
interface SharedFile {
  content: Promise<CheckpointFile> | undefined;
  queue: Promise<unknown>;
}

/**
 * By resolved path, for the whole process: two store objects on one file (one per stream, say) must not each
 * keep their own copy and write it whole, or each save would erase what the other saved.
 */
const files = new Map<string, SharedFile>();

/**
 * A {@link CheckpointStore} in one JSON file, written atomically: the embedded default of
 * `fromKinesisStream`, for one process (for several, use {@link dynamoDbCheckpointStore}).
 *
 * Each save writes the whole file (every stream's checkpoints) to a temporary file beside it, flushes it to
 * disk, renames it over the old one and flushes the directory. A crash at any moment leaves either the old
 * file or the new one, never a mix; a temporary file left by a crash is ignored. Saves are queued, one write
 * at a time. A file that does not parse is reported, never silently replaced (replaying from the starting
 * position would be a surprise).
 *
 * Any number of store objects may use one file within a process (say one per stream): they share one copy of
 * its content and one queue of writes, by resolved path, so each keeps what the others saved. `load` reads
 * the file again (in the queue, after the writes before it), so it also sees what an earlier process left.
 * Two processes must not write one file at once.
 *
 * ```json
 * { "version": 1, "streams": { "clicks": { "shardId-000000000000": { "sequenceNumber": "4968…", "subsequenceNumber": 0 } } } }
 * ```
 *
 * ## Example
 * ```ts
 * import { fileCheckpointStore, fromKinesisStream } from 'rx-firehose';
 *
 * fromKinesisStream({ client, streamName: 'clicks', checkpointStore: fileCheckpointStore({ path: '/var/lib/app/checkpoints.json' }) });
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export function fileCheckpointStore(options: FileCheckpointStoreOptions): CheckpointStore {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(NAME, 'options', options, 'an object with path');
  if (typeof options.path !== 'string' || options.path === '')
    throw new InvalidOptionError(NAME, 'path', options.path, 'a non-empty file path');
  const fsync = options.fsync ?? true;
  if (typeof fsync !== 'boolean') throw new InvalidOptionError(NAME, 'fsync', fsync, 'true or false');
  const path = resolve(options.path);
  let shared = files.get(path);
  if (shared === undefined) files.set(path, (shared = { content: undefined, queue: Promise.resolve() }));
  const file = shared;

  /** Runs `task` once every read and write queued before it on this file is over (one at a time, in order). */
  const queued = <T>(task: () => Promise<T>): Promise<T> => {
    const run = file.queue.then(task);
    file.queue = run.catch(() => undefined);
    return run;
  };
  /** Reads the file into the shared content; a failed read is forgotten, so the next call reads again. */
  const read = (): Promise<CheckpointFile> => {
    const content = readCheckpointFile(path);
    file.content = content;
    content.catch(() => {
      if (file.content === content) file.content = undefined;
    });
    return content;
  };

  return {
    load(streamName) {
      return queued(async () => {
        const content = await read();
        return new Map(Object.entries(content.streams[streamName] ?? {}));
      });
    },
    save(streamName, checkpoints) {
      return queued(async () => {
        const content = await (file.content ?? read());
        const shards = { ...content.streams[streamName] };
        for (const [shardId, { sequenceNumber, subsequenceNumber }] of checkpoints) shards[shardId] = { sequenceNumber, subsequenceNumber };
        const next: CheckpointFile = { version: VERSION, streams: { ...content.streams, [streamName]: shards } };
        await writeAtomically(path, `${JSON.stringify(next, null, 1)}\n`, fsync);
        file.content = Promise.resolve(next);
      });
    },
  };
}

async function readCheckpointFile(path: string): Promise<CheckpointFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { version: VERSION, streams: {} };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidFile(`${NAME}: ${path} is not a checkpoint file (invalid JSON: ${(err as Error).message})`);
  }
  const file = parsed as Partial<CheckpointFile> | null;
  if (typeof file !== 'object' || file === null || file.version !== VERSION || typeof file.streams !== 'object' || file.streams === null) {
    throw invalidFile(`${NAME}: ${path} is not a checkpoint file of version ${VERSION}`);
  }
  return file as CheckpointFile;
}

/** An error the source does not retry (code `ECHECKPOINTFILE`): a damaged file needs a person. */
function invalidFile(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECHECKPOINTFILE' });
}

/** Temporary file beside the target, flushed, renamed over it, then the directory flushed (so the rename is durable). */
async function writeAtomically(path: string, text: string, fsync: boolean): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'w');
    try {
      await file.writeFile(text, 'utf8');
      if (fsync) await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  if (fsync) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
