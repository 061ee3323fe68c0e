import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { DeliveryError } from '../DeliveryError.js';

/** Errors that retrying cannot fix: the key itself is unusable here. */
const PERMANENT = new Set(['ENAMETOOLONG', 'EINVAL', 'EISDIR', 'ENOTDIR', 'EROFS', 'EPERM', 'EACCES']);

/**
 * Writes `body` to `<root>/<key>` so that it appears whole or not at all: written to a hidden temporary file
 * beside its final place, flushed to disk, renamed into place (atomic within one file system), and then its
 * directory and any directory just created are flushed too, so the rename survives a power failure (the
 * flushes only with `fsync`). A reader
 * listing the directory never sees half a file under its final name. Returns the file's absolute path.
 *
 * Per file: open, write, fdatasync, close and rename; the directory's fsync (open, fsync, close) is shared
 * by the writes renamed meanwhile, and the directories are looked up (stat, mkdir) only the first time.
 *
 * The only code of the directory destination that touches the file system.
 */
export async function writeObjectAtomically(
  root: string,
  key: string,
  body: Uint8Array,
  fsync: boolean,
  signal: AbortSignal,
): Promise<string> {
  const target = resolve(root, key);
  if (!target.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new DeliveryError('Directory.InvalidKey', `object key ${JSON.stringify(key)} leads outside ${root}`, { permanent: true });
  }
  // The writer's pid in the name: a later run deletes the temp files of dead writers, never a live one's.
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const dir = dirname(target);
  try {
    signal.throwIfAborted();
    // A directory this process already made or found costs no stat or mkdir; if it was removed since, the
    // open fails with ENOENT and the directories are made again (once: a concurrent write to the same
    // directory may have forgotten it already, so whether it is still known does not matter).
    let created = knownDirectories.has(dir) ? undefined : await makeDirectories(dir);
    let file;
    try {
      file = await open(temp, 'w');
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
      knownDirectories.delete(dir);
      created = await makeDirectories(dir);
      file = await open(temp, 'w');
    }
    rememberDirectory(dir);
    try {
      await file.writeFile(body, { signal });
      // The data and what reading it back needs (its size), not the times: a new file is whole once this returns.
      if (fsync) await file.datasync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    // The rename, and any directory just created, are durable only once their directories are synced.
    if (fsync) await syncDirectories(dir, created === undefined ? dir : dirname(created));
    return target;
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw toDeliveryError(err);
  }
}

/** Directories known to exist (made or found by this process), at most MAX_KNOWN_DIRECTORIES of them. */
const knownDirectories = new Set<string>();
const MAX_KNOWN_DIRECTORIES = 4096;

function rememberDirectory(dir: string): void {
  if (knownDirectories.has(dir)) return;
  // Dynamic partitioning can name many directories: forget the oldest rather than grow without bound.
  if (knownDirectories.size >= MAX_KNOWN_DIRECTORIES) knownDirectories.delete(knownDirectories.values().next().value!);
  knownDirectories.add(dir);
}

/**
 * `mkdir -p`, returning the first directory it created (or undefined). Unlike Node's recursive `mkdir`, which
 * loops for ever where a directory refuses new entries (under /proc), a parent that exists but where the
 * child cannot be made is a permanent error.
 */
async function makeDirectories(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      if ((await stat(d)).isDirectory()) break;
      throw new DeliveryError('Directory.ENOTDIR', `${d} is not a directory`, { permanent: true });
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
      missing.push(d);
      if (dirname(d) === d) break;
    }
  }
  missing.reverse();
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'EEXIST') continue;
      const parentThere = await stat(dirname(d)).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (code === 'ENOENT' && parentThere) {
        throw new DeliveryError('Directory.ENOENT', `cannot create the directory ${d}: ${dirname(d)} accepts no new directories`, {
          permanent: true,
          cause: err,
        });
      }
      throw err;
    }
  }
  return missing[0];
}

/** Syncs `from` and each of its ancestors up to and including `upTo`. */
async function syncDirectories(from: string, upTo: string): Promise<void> {
  for (let dir = from; ; dir = dirname(dir)) {
    await syncDirectory(dir);
    if (dir === upTo || dirname(dir) === dir) return;
  }
}

/** Per directory: the fsync running now, and the one queued to start after it. */
const directorySyncs = new Map<string, { running: Promise<void>; next: Promise<void> | undefined }>();

/**
 * Makes the entries of `dir` durable, sharing fsyncs between concurrent writers (group commit): a sync that
 * starts after a caller's rename covers it, so a caller joins the sync queued behind the running one (which
 * may have started before its rename) instead of running its own. With several batches written at once this
 * saves fsyncs, each of which holds one of libuv's 4 threads (that compress too) for the disk's latency.
 */
function syncDirectory(dir: string): Promise<void> {
  const state = directorySyncs.get(dir);
  if (state === undefined) {
    const running = fsyncDirectory(dir).finally(() => onSynced(dir));
    directorySyncs.set(dir, { running, next: undefined });
    return running;
  }
  state.next ??= state.running.then(
    () => directorySyncs.get(dir)!.running,
    () => directorySyncs.get(dir)!.running,
  );
  return state.next;
}

/** The running sync of `dir` ended: start the queued one, if any. */
function onSynced(dir: string): void {
  const state = directorySyncs.get(dir)!;
  if (state.next === undefined) {
    directorySyncs.delete(dir);
    return;
  }
  state.running = fsyncDirectory(dir).finally(() => onSynced(dir));
  state.next = undefined;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function toDeliveryError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (err instanceof DeliveryError || typeof code !== 'string') return err;
  return new DeliveryError(`Directory.${code}`, (err as Error).message, { permanent: PERMANENT.has(code), cause: err });
}
