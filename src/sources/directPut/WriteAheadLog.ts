import type { Buffer } from 'node:buffer';
import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSegment, encodeEntries, type WalEntry } from './walFormat.js';
import { syncDirectory } from './syncDirectory.js';

const SEGMENT_NAME = /^segment-(\d{20})\.wal$/;

/**
 * One file of the log. Its records are counted as they are appended and settled; once the segment is
 * sealed (no more appends go to it) and every record in it settled, the file is deleted.
 */
export class Segment {
  /** Records appended and not yet settled. */
  unsettled = 0;
  /** Bytes appended (written or about to be). */
  bytes = 0;
  /** Appends not yet synced: the file stays open while there are some. */
  unsynced = 0;
  sealed = false;
  deleted = false;
  handle: FileHandle | undefined;

  constructor(
    readonly sequence: number,
    readonly path: string,
    /** Whether the file exists on disk already (a replayed segment). */
    public created: boolean,
  ) {}
}

/** A record read back from the log at open, with the segment that holds it. */
export interface ReplayedEntry {
  readonly entry: WalEntry;
  readonly segment: Segment;
}

export interface WriteAheadLogOptions {
  /** A segment is sealed once it holds this many bytes; later appends go to a new one. */
  readonly segmentBytes: number;
}

interface PendingWrite {
  readonly segment: Segment;
  readonly bytes: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * An append-only log of accepted records in a directory of segment files, with group commit.
 *
 * ```
 * append(A) ─▶ write A ─┐
 * append(B) ─▶ write B ─┼─▶ fdatasync ──▶ A B C durable     (writes go on while a sync runs;
 * append(C) ─▶ write C ─┘                                    each sync covers every write before it)
 * ```
 *
 * Appends are written at once, in order, by one write loop; one sync loop `fdatasync`s the segments written
 * to and acknowledges every append whose write finished before the sync began, so many concurrent requests
 * share one sync and the disk is never idle while there is something to sync. `append` resolves once its
 * entries are on disk (written, synced, and a new segment's directory entry synced). Appends are written in the order they were
 * made. At {@link WriteAheadLog.open} every segment is read back: a torn last frame (a write a crash cut
 * short, never acknowledged) is cut off, and the whole frames are returned to be emitted again. New
 * appends always go to a new segment. {@link WriteAheadLog.settle} counts a record as settled; a sealed
 * segment whose records all settled is deleted, so the log holds only what is not yet delivered (plus at
 * most the open segment).
 *
 * After a failed write the log refuses every later append with that error: what reached the disk is
 * unknown, so nothing more is acknowledged; records already acknowledged stay in the log.
 */
export class WriteAheadLog {
  #segments = new Set<Segment>();
  #current: Segment | undefined;
  #nextSequence: number;
  #bytes = 0;
  /** Appends waiting to be written, in order. */
  #pending: PendingWrite[] = [];
  /** Appends written, waiting for the next sync. */
  #written: PendingWrite[] = [];
  /** Segments written to since the last sync, and whether a new file's directory entry needs one. */
  #dirty = new Set<Segment>();
  #directoryDirty = false;
  #writing: Promise<void> | undefined;
  #syncing: Promise<void> | undefined;
  #failure: unknown;
  #deletions = new Set<Promise<void>>();
  #syncs = 0;

  private constructor(
    readonly dir: string,
    readonly options: WriteAheadLogOptions,
    nextSequence: number,
  ) {
    this.#nextSequence = nextSequence;
  }

  /** Opens (creating it if needed) the log in `dir` and reads back every record it holds, oldest first. */
  static async open(dir: string, options: WriteAheadLogOptions): Promise<{ log: WriteAheadLog; replayed: ReplayedEntry[] }> {
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const last = names.length === 0 ? 0 : Number(SEGMENT_NAME.exec(names[names.length - 1]!)![1]);
    const log = new WriteAheadLog(dir, options, last + 1);
    const replayed: ReplayedEntry[] = [];
    for (const name of names) {
      const path = join(dir, name);
      const bytes = await readFile(path);
      const { entries, validBytes } = decodeSegment(bytes);
      if (entries.length === 0) {
        await unlink(path);
        continue;
      }
      if (validBytes < bytes.byteLength) await truncate(path, validBytes);
      const segment = new Segment(Number(SEGMENT_NAME.exec(name)![1]), path, true);
      segment.sealed = true;
      segment.bytes = validBytes;
      segment.unsettled = entries.length;
      log.#segments.add(segment);
      log.#bytes += validBytes;
      for (const entry of entries) replayed.push({ entry, segment });
    }
    return { log, replayed };
  }

  /** Bytes in the log's segments (on disk, or about to be written). */
  get bytes(): number {
    return this.#bytes;
  }

  /** How many group commits (rounds of writes and syncs) ran: fewer than appends when they share syncs. */
  get syncs(): number {
    return this.#syncs;
  }

  /** How many segment files the log holds. */
  get segmentCount(): number {
    return this.#segments.size;
  }

  /**
   * Appends `entries` and resolves with the segment that holds them once they are durable. Counts them as
   * unsettled in that segment at once (settle each with {@link WriteAheadLog.settle} after it resolved, or
   * {@link WriteAheadLog.abandon} them all if it rejected).
   */
  append(entries: readonly WalEntry[]): Promise<Segment> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const bytes = encodeEntries(entries);
    let segment = this.#current;
    if (segment === undefined || segment.sealed) {
      const sequence = this.#nextSequence++;
      segment = new Segment(sequence, join(this.dir, `segment-${String(sequence).padStart(20, '0')}.wal`), false);
      this.#segments.add(segment);
      this.#current = segment;
    }
    segment.unsettled += entries.length;
    segment.bytes += bytes.byteLength;
    this.#bytes += bytes.byteLength;
    if (segment.bytes >= this.options.segmentBytes) segment.sealed = true;
    segment.unsynced++;
    const done = new Promise<Segment>((resolve, reject) => this.#pending.push({ segment, bytes, resolve: () => resolve(segment), reject }));
    this.#writing ??= this.#writeLoop();
    return done;
  }

  /** Counts `count` records of `segment` as settled; deletes the segment once sealed and all settled. */
  settle(segment: Segment, count = 1): void {
    segment.unsettled -= count;
    if (segment.unsettled === 0 && segment.sealed) this.#delete(segment);
  }

  /** Counts the entries of an append that failed as settled: they were never acknowledged. */
  abandon(segment: Segment, count: number): void {
    this.settle(segment, count);
  }

  /**
   * Waits for pending writes, then closes the log: segments whose records all settled are deleted (all of
   * them after a full drain), the others stay to be replayed at the next open.
   */
  async close(): Promise<void> {
    while (this.#writing !== undefined || this.#syncing !== undefined) await Promise.all([this.#writing, this.#syncing]);
    this.#failure ??= new Error('the write-ahead log is closed');
    for (const segment of [...this.#segments]) {
      segment.sealed = true;
      if (segment.unsettled === 0) this.#delete(segment);
      else await segment.handle?.close();
      segment.handle = undefined;
    }
    await Promise.all(this.#deletions);
  }

  /** Writes pending appends in order, each segment's share with one writev, and hands them to the sync loop. */
  async #writeLoop(): Promise<void> {
    while (this.#pending.length > 0 && this.#failure === undefined) {
      const writes = this.#pending;
      this.#pending = [];
      try {
        for (let i = 0; i < writes.length; ) {
          const segment = writes[i]!.segment;
          const buffers: Buffer[] = [];
          for (; i < writes.length && writes[i]!.segment === segment; i++) buffers.push(writes[i]!.bytes);
          if (segment.handle === undefined) {
            segment.handle = await open(segment.path, 'a');
            if (!segment.created) this.#directoryDirty = true;
            segment.created = true;
          }
          await writeAll(segment.handle, buffers);
          this.#dirty.add(segment);
        }
      } catch (err) {
        this.#fail(err, writes);
        break;
      }
      for (const w of writes) this.#written.push(w);
      this.#syncing ??= this.#syncLoop();
    }
    this.#writing = undefined;
  }

  /** Syncs what was written, again and again while there is more: each round acknowledges the writes done before it began. */
  async #syncLoop(): Promise<void> {
    while (this.#written.length > 0 && this.#failure === undefined) {
      const waiters = this.#written;
      const segments = [...this.#dirty];
      const directory = this.#directoryDirty;
      this.#written = [];
      this.#dirty = new Set();
      this.#directoryDirty = false;
      try {
        await Promise.all(segments.map((s) => s.handle!.datasync()));
        if (directory) await syncDirectory(this.dir);
      } catch (err) {
        this.#fail(err, waiters);
        break;
      }
      this.#syncs++;
      for (const w of waiters) {
        w.segment.unsynced--;
        w.resolve();
      }
      // A sealed segment with nothing left to sync gets no more writes: close its file.
      for (const segment of segments) {
        if (segment.sealed && segment.unsynced === 0 && segment !== this.#current && segment.handle !== undefined) {
          const handle = segment.handle;
          segment.handle = undefined;
          await handle.close();
        }
      }
    }
    this.#syncing = undefined;
  }

  /** After a failed write or sync: nothing more is acknowledged; every append waiting is refused with `err`. */
  #fail(err: unknown, inFlight: readonly PendingWrite[]): void {
    this.#failure ??= err;
    const refused = [...inFlight, ...this.#written, ...this.#pending];
    this.#written = [];
    this.#pending = [];
    for (const w of refused) w.reject(err);
  }

  #delete(segment: Segment): void {
    if (segment.deleted) return;
    segment.deleted = true;
    this.#segments.delete(segment);
    this.#bytes -= segment.bytes;
    if (this.#current === segment) this.#current = undefined;
    const handle = segment.handle;
    segment.handle = undefined;
    const deletion = (async () => {
      await handle?.close();
      await unlink(segment.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    })().catch(() => undefined); // a segment that could not be deleted is replayed (and delivered again) at the next open
    this.#deletions.add(deletion);
    void deletion.then(() => this.#deletions.delete(deletion));
  }
}

/** Writes every buffer at the file's end, resuming after short writes. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    // IOV_MAX (1024 on Linux) bounds one writev.
    const chunk = rest.slice(0, 1024);
    const total = chunk.reduce((n, b) => n + b.byteLength, 0);
    const { bytesWritten } = await handle.writev(chunk);
    if (bytesWritten === total) {
      rest = rest.slice(chunk.length);
      continue;
    }
    let skip = bytesWritten;
    const left: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.byteLength) skip -= b.byteLength;
      else {
        left.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = left;
  }
}
