import type { Buffer } from 'node:buffer';
import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordIdSequence } from './RecordIdSequence.js';
import { decodeSegment, encodeFrame, segmentMagic, type WalEntry } from './walFormat.js';
import type { SettlementOutcome } from '../../settlement/Settlement.js';
import type { SlotOwner } from '../../settlement/SlotRecord.js';
import { SettledOrdinals } from './SettledOrdinals.js';
import { syncDirectory } from './syncDirectory.js';

const SEGMENT_NAME = /^segment-(\d{20})\.wal$/;
/** The file that records which records of each segment settled. */
export const CHECKPOINT_FILE = 'settled.json';

/**
 * One file of the log. Its records are numbered in the order they are appended (their ordinals: 0, 1, …)
 * and counted as they settle; once the segment is sealed (no more appends go to it) and every record in it
 * settled, the file is deleted. Across segments the records are numbered on too (their slots: the segment's
 * first slot plus the ordinal), which is how a record's settlement names it.
 */
export class Segment {
  /** Records appended (the next record's ordinal). */
  records = 0;
  /** Each record's data bytes, by ordinal (what its settlement releases from the budget). */
  sizes = new Uint32Array(64);
  /** Records appended and not yet settled. */
  unsettled = 0;
  /** The ordinals of the records that settled. */
  settled = new SettledOrdinals();
  /** Bytes appended (written or about to be). */
  bytes = 0;
  /** Bytes acknowledged: written and synced, the end of the last append resolved (what a failed segment is cut back to). */
  durableBytes = 0;
  /** Appends not yet synced: the file stays open while there are some. */
  unsynced = 0;
  sealed = false;
  /**
   * Why a write or sync of this file failed, if one did: what reached the disk after its last sync is unknown,
   * so nothing more is written to it or acknowledged from it (it is sealed; later appends go to a new segment).
   */
  failure: { readonly error: unknown } | undefined;
  deleted = false;
  handle: FileHandle | undefined;

  constructor(
    readonly sequence: number,
    readonly path: string,
    /** Whether the file exists on disk already (a replayed segment). */
    public created: boolean,
    /** The slot of the segment's record 0. */
    readonly firstSlot: number,
  ) {}

  /** Notes the sizes of `datas`, appended as records `records`, `records + 1`, … */
  noteSizes(datas: readonly { readonly byteLength: number }[]): void {
    const end = this.records + datas.length;
    if (end > this.sizes.length) {
      const grown = new Uint32Array(Math.max(end, 2 * this.sizes.length));
      grown.set(this.sizes.subarray(0, this.records));
      this.sizes = grown;
    }
    for (let i = 0; i < datas.length; i++) this.sizes[this.records + i] = datas[i]!.byteLength;
  }
}

/** A record read back from the log at open, with its slot (see {@link WriteAheadLog.settleSlot}). */
export interface ReplayedEntry {
  readonly entry: WalEntry;
  readonly slot: number;
}

/** Where an append went: its segment, and the ordinal and slot of its first record there (the others follow), and the records' ids. */
export interface Appended {
  readonly segment: Segment;
  readonly first: number;
  readonly firstSlot: number;
  readonly recordIds: string[];
}

export interface WriteAheadLogOptions {
  /** A segment is sealed once it holds this many bytes; later appends go to a new one. */
  readonly segmentBytes: number;
  /**
   * Told, each time a checkpoint reached the disk, the bytes of the records whose settlement it was the first to
   * record (what {@link WriteAheadLog.settle} was given). Until then a settled record would still be replayed
   * after a crash.
   */
  readonly onCheckpointed?: ((bytes: number) => void) | undefined;
  /** Told each time a record settled through its slot ({@link WriteAheadLog.settleSlot}), after the log counted it. */
  readonly onRecordSettled?: (() => void) | undefined;
}

interface PendingWrite {
  readonly segment: Segment;
  /** The ordinal of its first record in the segment, and how many it holds (counted as settled if it is refused). */
  readonly first: number;
  readonly count: number;
  /** Where its frame ends in the segment file. */
  readonly end: number;
  /** The frame of one append (`walFormat`), as buffers to write in order (record data is not copied into it). */
  readonly buffers: Buffer[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * An append-only log of accepted records in a directory of segment files, with group commit. Its records'
 * settlements are slots of the log (it is their `SlotOwner`): a record made with `new SlotRecord(…, log, slot)`
 * costs no settlement object, and settling it counts it in its segment.
 *
 * ```
 * append(A) ─▶ write A ─┐
 * append(B) ─▶ write B ─┼─▶ fdatasync ──▶ A B C durable     (writes go on while a sync runs;
 * append(C) ─▶ write C ─┘                                    each sync covers every write before it)
 * ```
 *
 * Appends are written at once, in order, by one write loop; one sync loop `fdatasync`s the segments written
 * to and acknowledges every append whose write finished before the sync began, so many concurrent requests
 * share one sync and the disk is never idle while there is something to sync. Writes and syncs run on libuv's
 * thread pool: the event loop never waits on the disk. Each append is one frame with one checksum. `append` resolves once its
 * entries are on disk (written, synced, and a new segment's directory entry synced). Appends are written in the order they were
 * made. At {@link WriteAheadLog.open} every segment is read back: a torn last frame (a write a crash cut
 * short, never acknowledged) is cut off, and the whole frames are returned to be emitted again. New
 * appends always go to a new segment. {@link WriteAheadLog.settle} counts a record as settled; a sealed
 * segment whose records all settled is deleted, so the log holds only what is not yet delivered (plus at
 * most the open segment).
 *
 * A failed write or sync (a full disk, an I/O error) refuses the appends it concerned, and every append
 * not yet acknowledged in that segment, with its error: what reached the file since its last sync is unknown,
 * so that file gets no more writes and acknowledges nothing more (it is sealed; its records refused are
 * counted as settled, so they are not replayed). Records already acknowledged stay in it, whole: each sync
 * covers every write before it. The next append starts a new segment, so once the disk has room again (or
 * the error passes) the log goes on; a refused append is never acknowledged.
 *
 * Settled records are also recorded in a checkpoint (`settled.json`: per segment, the ranges of ordinals that
 * settled), written in the background after settlements (a microtask later, so a whole delivered batch goes in
 * one write), atomically (aside, fdatasync, rename, directory fsync), never on the path of an append. At open,
 * the records it names are skipped, so a crash delivers again only what the last checkpoint on disk did not
 * show as settled, not whole segments. {@link WriteAheadLogOptions.onCheckpointed} says when a settlement is
 * on disk: a caller that holds a record's bytes in its budget until then bounds what a crash replays by that
 * budget. The checkpoint also keeps the next segment number, so a number named in it is never reused.
 */
export class WriteAheadLog implements SlotOwner {
  #segments = new Set<Segment>();
  /** The segments that hold records, in the order of their slots (for {@link WriteAheadLog.settleSlot}). */
  #bySlot: Segment[] = [];
  /** The segment of the last slot settled (settlements come nearly in order). */
  #lastSettled: Segment | undefined;
  /** The slot of the next record appended. */
  #nextSlot = 0;
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
  /** Set by {@link WriteAheadLog.close}: every later append is refused with it. */
  #closed: Error | undefined;
  #deletions = new Set<Promise<void>>();
  /** Failed segments being cut back (see `#cutBack`). */
  #cuts = new Set<Promise<void>>();
  /** Segments being deleted: still named in checkpoints until their file is gone. */
  #unlinking = new Set<Segment>();
  #syncs = 0;
  /** Bytes of records settled since the last checkpoint snapshot. */
  #settledBytes = 0;
  #checkpointDirty = false;
  #checkpointing: Promise<void> | undefined;
  #checkpoints = 0;

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
    const checkpoint = await readCheckpoint(join(dir, CHECKPOINT_FILE));
    const last = names.length === 0 ? 0 : Number(SEGMENT_NAME.exec(names[names.length - 1]!)![1]);
    const log = new WriteAheadLog(dir, options, Math.max(last + 1, checkpoint.nextSequence));
    const replayed: ReplayedEntry[] = [];
    for (const name of names) {
      const path = join(dir, name);
      const sequence = Number(SEGMENT_NAME.exec(name)![1]);
      const bytes = await readFile(path);
      const { entries, validBytes } = decodeSegment(bytes);
      const settled = checkpoint.settled.get(sequence) ?? new SettledOrdinals();
      const unsettled: ReplayedEntry[] = [];
      const segment = new Segment(sequence, path, true, log.#nextSlot);
      entries.forEach((entry, ordinal) => settled.has(ordinal) || unsettled.push({ entry, slot: segment.firstSlot + ordinal }));
      if (unsettled.length === 0) {
        await unlink(path);
        continue;
      }
      if (validBytes < bytes.byteLength) await truncate(path, validBytes);
      segment.sealed = true;
      segment.bytes = validBytes;
      segment.durableBytes = validBytes;
      segment.noteSizes(entries.map((e) => e.data));
      segment.records = entries.length;
      log.#nextSlot += entries.length;
      log.#bySlot.push(segment);
      segment.unsettled = unsettled.length;
      segment.settled = settled;
      log.#segments.add(segment);
      log.#bytes += validBytes;
      for (const r of unsettled) replayed.push(r);
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

  /** How many checkpoints were written. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /**
   * Appends one request's records (`datas`, all arrived at `approximateArrivalTimestamp`, each given the next
   * id of `ids`) and resolves with where they went, and their ids, once they are durable. Counts them as
   * unsettled in that segment at once: settle each through its slot ({@link WriteAheadLog.settleSlot}, the
   * settlement of a `SlotRecord` made with this log and slot) after it resolved. If it rejects (its write or
   * sync failed), its records were never acknowledged and already count as settled: nothing to do.
   */
  append(ids: RecordIdSequence, datas: readonly Uint8Array[], approximateArrivalTimestamp: number): Promise<Appended> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const frame = encodeFrame(ids, datas, approximateArrivalTimestamp);
    const count = datas.length;
    let segment = this.#current;
    if (segment === undefined || segment.sealed) {
      const sequence = this.#nextSequence++;
      segment = new Segment(sequence, join(this.dir, `segment-${String(sequence).padStart(20, '0')}.wal`), false, this.#nextSlot);
      this.#segments.add(segment);
      this.#bySlot.push(segment);
      this.#current = segment;
    }
    // A new segment's first write starts the file with the format's magic.
    const buffers = segment.bytes === 0 ? [segmentMagic(), ...frame.buffers] : frame.buffers;
    const byteLength = frame.byteLength + (segment.bytes === 0 ? segmentMagic().byteLength : 0);
    const appended: Appended = {
      segment,
      first: segment.records,
      firstSlot: segment.firstSlot + segment.records,
      recordIds: frame.recordIds,
    };
    segment.noteSizes(datas);
    segment.records += count;
    this.#nextSlot += count;
    segment.unsettled += count;
    segment.bytes += byteLength;
    this.#bytes += byteLength;
    if (segment.bytes >= this.options.segmentBytes) segment.sealed = true;
    segment.unsynced++;
    const done = new Promise<Appended>((resolve, reject) =>
      this.#pending.push({ segment, first: appended.first, count, end: segment.bytes, buffers, resolve: () => resolve(appended), reject }),
    );
    this.#writing ??= this.#writeLoop();
    return done;
  }

  /**
   * Counts the record `ordinal` of `segment` (of `bytes` bytes, for {@link WriteAheadLogOptions.onCheckpointed})
   * as settled: the next checkpoint records it; the segment is deleted once sealed and all settled.
   */
  settle(segment: Segment, ordinal: number, bytes: number): void {
    if (!segment.settled.add(ordinal)) return;
    segment.unsettled--;
    this.#settledBytes += bytes;
    if (segment.unsettled === 0 && segment.sealed) this.#delete(segment);
    this.#checkpointSoon();
  }

  /**
   * @internal `SlotOwner`: settles the record in `slot` (whatever the outcome): {@link WriteAheadLog.settle}
   * with its bytes, then `onRecordSettled`. `false` if it settled already.
   */
  settleSlot(slot: number, _outcome: SettlementOutcome): boolean {
    const segment = this.#segmentOf(slot);
    if (segment === undefined) return false; // deleted: every record in it settled
    const ordinal = slot - segment.firstSlot;
    if (!segment.settled.add(ordinal)) return false;
    segment.unsettled--;
    this.#settledBytes += segment.sizes[ordinal]!;
    if (segment.unsettled === 0 && segment.sealed) this.#delete(segment);
    this.#checkpointSoon();
    this.options.onRecordSettled?.();
    return true;
  }

  /** @internal `SlotOwner`: whether the record in `slot` is still waiting to be settled. */
  slotOpen(slot: number): boolean {
    const segment = this.#segmentOf(slot);
    return segment !== undefined && !segment.settled.has(slot - segment.firstSlot);
  }

  /** The segment that holds `slot`, unless it was deleted. */
  #segmentOf(slot: number): Segment | undefined {
    const last = this.#lastSettled;
    if (last !== undefined && !last.deleted && slot >= last.firstSlot && slot < last.firstSlot + last.records) return last;
    const segments = this.#bySlot;
    let lo = 0;
    let hi = segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (segments[mid]!.firstSlot + segments[mid]!.records <= slot) lo = mid + 1;
      else hi = mid;
    }
    const segment = segments[lo];
    if (segment === undefined || slot < segment.firstSlot) return undefined;
    this.#lastSettled = segment;
    return segment;
  }

  /**
   * Resolves once every settlement made so far is in a checkpoint on disk (as far as the disk lets it), every
   * segment they emptied deleted, and every failed segment cut back to what it acknowledged.
   */
  async checkpoint(): Promise<void> {
    while (this.#checkpointing !== undefined || this.#deletions.size > 0 || this.#cuts.size > 0)
      await Promise.all([this.#checkpointing, ...this.#deletions, ...this.#cuts]);
  }

  /**
   * Waits for pending writes, then closes the log: segments whose records all settled are deleted (all of
   * them after a full drain), the others stay to be replayed at the next open.
   */
  async close(): Promise<void> {
    while (this.#writing !== undefined || this.#syncing !== undefined) await Promise.all([this.#writing, this.#syncing]);
    this.#closed ??= new Error('the write-ahead log is closed');
    for (const segment of [...this.#segments]) {
      segment.sealed = true;
      if (segment.unsettled === 0) this.#delete(segment);
      else await segment.handle?.close();
      segment.handle = undefined;
    }
    await Promise.all(this.#deletions);
    await this.checkpoint();
    // An empty log needs no checkpoint; otherwise the last one says what settled in the segments left.
    if (this.#segments.size === 0) await unlink(join(this.dir, CHECKPOINT_FILE)).catch(() => undefined);
    else {
      this.#checkpointSoon();
      await this.checkpoint();
    }
  }

  /** Writes a checkpoint a microtask from now (settlements made meanwhile go in the same one), and again while more come. */
  #checkpointSoon(): void {
    this.#checkpointDirty = true;
    this.#checkpointing ??= this.#checkpointLoop();
  }

  async #checkpointLoop(): Promise<void> {
    await null; // let a batch's settlements, made in one synchronous loop, all reach this checkpoint
    while (this.#checkpointDirty) {
      this.#checkpointDirty = false;
      const bytes = this.#settledBytes;
      this.#settledBytes = 0;
      const segments: Array<[number, number[]]> = [];
      for (const s of [...this.#segments, ...this.#unlinking])
        if (s.settled.rangeCount > 0) segments.push([s.sequence, s.settled.toJSON()]);
      segments.sort((a, b) => a[0] - b[0]);
      const text = JSON.stringify({ nextSequence: this.#nextSequence, segments });
      try {
        await writeDurably(this.dir, CHECKPOINT_FILE, text);
        this.#checkpoints++;
      } catch {
        // The checkpoint on disk stays the previous one (the rename is atomic): a crash would deliver more
        // again, never less. The next settlement tries again.
      }
      this.options.onCheckpointed?.(bytes);
    }
    this.#checkpointing = undefined;
  }

  /**
   * Writes pending appends in order, each segment's share with one writev, and hands them to the sync loop.
   * A write that fails fails its segment: its share, and any later one, is refused.
   */
  async #writeLoop(): Promise<void> {
    while (this.#pending.length > 0) {
      const writes = this.#pending;
      this.#pending = [];
      const written: PendingWrite[] = [];
      for (let i = 0; i < writes.length; ) {
        const segment = writes[i]!.segment;
        const share: PendingWrite[] = [];
        for (; i < writes.length && writes[i]!.segment === segment; i++) share.push(writes[i]!);
        if (segment.failure === undefined) {
          try {
            if (segment.handle === undefined) {
              segment.handle = await open(segment.path, 'a');
              if (!segment.created) this.#directoryDirty = true;
              segment.created = true;
            }
            const buffers = share.flatMap((w) => w.buffers);
            await writeAll(segment.handle, buffers);
            this.#dirty.add(segment);
            for (const w of share) written.push(w);
            continue;
          } catch (err) {
            this.#failSegment(segment, err);
          }
        }
        this.#refuse(share);
      }
      for (const w of written) this.#written.push(w);
      if (this.#written.length > 0) this.#syncing ??= this.#syncLoop();
    }
    this.#writing = undefined;
  }

  /**
   * Syncs what was written, again and again while there is more: each round acknowledges the writes done
   * before it began, except in a segment whose write or sync failed meanwhile (those are refused).
   */
  async #syncLoop(): Promise<void> {
    while (this.#written.length > 0) {
      const waiters = this.#written;
      const segments = [...this.#dirty];
      const directory = this.#directoryDirty;
      this.#written = [];
      this.#dirty = new Set();
      this.#directoryDirty = false;
      const synced = await Promise.allSettled(segments.map((s) => s.handle?.datasync()));
      synced.forEach((result, i) => result.status === 'rejected' && this.#failSegment(segments[i]!, result.reason));
      if (directory) {
        // Which new file's entry did not make it is unknown: none of this round's files acknowledges anything.
        await syncDirectory(this.dir).catch((err: unknown) => {
          for (const s of segments) this.#failSegment(s, err);
        });
      }
      this.#syncs++;
      const refused: PendingWrite[] = [];
      for (const w of waiters) {
        if (w.segment.failure !== undefined) refused.push(w);
        else {
          w.segment.unsynced--;
          w.segment.durableBytes = w.end;
          w.resolve();
        }
      }
      this.#refuse(refused);
      // A sealed segment with nothing left to sync gets no more writes: close its file.
      for (const segment of segments) {
        if (segment.sealed && segment.unsynced === 0 && segment !== this.#current && segment.handle !== undefined && !segment.deleted) {
          const handle = segment.handle;
          segment.handle = undefined;
          await handle.close().catch(() => undefined);
        }
      }
    }
    this.#syncing = undefined;
  }

  /** A write or sync of `segment` failed: it is sealed, gets no more writes and acknowledges nothing more. */
  #failSegment(segment: Segment, error: unknown): void {
    segment.failure ??= { error };
    segment.sealed = true;
    if (this.#current === segment) this.#current = undefined;
  }

  /**
   * Refuses appends of a failed segment with its error. Their records count as settled (never acknowledged),
   * and once nothing of the segment is being written or synced its file is cut back to what was acknowledged,
   * so they are not replayed even if the checkpoint that names them could not be written (a full disk).
   */
  #refuse(writes: readonly PendingWrite[]): void {
    for (const w of writes) {
      const segment = w.segment;
      segment.unsynced--;
      for (let i = 0; i < w.count; i++) this.settle(segment, w.first + i, 0);
      if (segment.unsynced === 0 && !segment.deleted) this.#cutBack(segment);
      w.reject(segment.failure!.error);
    }
  }

  /** Truncates a failed segment's file to its acknowledged bytes, and syncs that (as far as the disk lets it). */
  #cutBack(segment: Segment): void {
    const cut = segment.durableBytes;
    if (!segment.created || segment.bytes === cut) return;
    this.#bytes -= segment.bytes - cut;
    segment.bytes = cut;
    const work = (async () => {
      await truncate(segment.path, cut);
      const handle = await open(segment.path, 'r+');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    })().catch(() => undefined); // a frame left whole after the cut is named settled by the checkpoint, or delivered again: never lost
    this.#cuts.add(work);
    void work.then(() => this.#cuts.delete(work));
  }

  #delete(segment: Segment): void {
    if (segment.deleted) return;
    segment.deleted = true;
    this.#segments.delete(segment);
    this.#bySlot.splice(this.#bySlot.indexOf(segment), 1);
    this.#bytes -= segment.bytes;
    if (this.#current === segment) this.#current = undefined;
    const handle = segment.handle;
    segment.handle = undefined;
    this.#unlinking.add(segment);
    const deletion = (async () => {
      await handle?.close();
      await unlink(segment.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.#unlinking.delete(segment); // gone: later checkpoints need not name it
    })().catch(() => undefined); // a segment that could not be deleted stays named in checkpoints, so its records are not replayed
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

/** Writes `name` in `dir` so that it is either the old file or the whole new one, on disk: aside, fdatasync, rename, directory fsync. */
async function writeDurably(dir: string, name: string, text: string): Promise<void> {
  const temp = join(dir, `.${name}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
  await syncDirectory(dir);
}

/** What a checkpoint file says; nothing settled when there is none or it cannot be read (then a crash replays more, never less). */
async function readCheckpoint(path: string): Promise<{ nextSequence: number; settled: Map<number, SettledOrdinals> }> {
  const none = { nextSequence: 0, settled: new Map<number, SettledOrdinals>() };
  let parsed: { nextSequence?: unknown; segments?: unknown };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as typeof parsed;
  } catch {
    return none;
  }
  try {
    if (!Number.isSafeInteger(parsed.nextSequence) || !Array.isArray(parsed.segments)) return none;
    const settled = new Map<number, SettledOrdinals>();
    for (const entry of parsed.segments as unknown[]) {
      if (!Array.isArray(entry) || !Number.isSafeInteger(entry[0]) || !Array.isArray(entry[1])) return none;
      settled.set(entry[0] as number, new SettledOrdinals(entry[1] as unknown[]));
    }
    return { nextSequence: parsed.nextSequence as number, settled };
  } catch {
    return none;
  }
}
