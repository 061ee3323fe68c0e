import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import type { MetricSink } from '../metrics/MetricSink.js';
import { FirehoseApiError } from '../sources/directPut/FirehoseApiError.js';
import type { PutRecordAnswer, PutRecordBatchAnswer, PutRecordEntry } from '../sources/directPut/openDirectPut.js';
import { describeDeliveryStream, type DeliveryStreamDescription } from './describeDeliveryStream.js';
import { logDirOf, openDeliveryStream, type DirectPutDeliveryStream, type OpenDeliveryStreamOptions } from './openDeliveryStream.js';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import { syncDirectory } from '../sources/directPut/syncDirectory.js';

/** Stream names as Firehose allows them. */
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const STREAM_TYPES = new Set(['DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource']);
/** Firehose's limit of tags per delivery stream. */
export const MAX_TAGS = 50;

export interface Tag {
  readonly Key: string;
  readonly Value?: string | undefined;
}

export interface DeliveryStreamRegistryOptions extends OpenDeliveryStreamOptions {
  /** The most delivery streams at once; CreateDeliveryStream past it answers `LimitExceededException`. Default 50. */
  readonly maxDeliveryStreams?: number | undefined;
  /** Gives each delivery stream its own metric sink (e.g. a Prometheus label per stream); else `metrics` serves all. */
  readonly metricsFor?: ((deliveryStreamName: string) => MetricSink) | undefined;
  /** Told when a stream fails (its pipeline errored): the name and the error. Default: written to stderr. */
  readonly onStreamError?: ((name: string, err: unknown) => void) | undefined;
}

/** What is saved of a stream, so it exists again after a restart. */
interface SavedStream {
  readonly input: CreateDeliveryStreamInput;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly status: 'ACTIVE' | 'DELETING';
  readonly tags: Tag[];
}

interface Entry {
  saved: SavedStream;
  stream: DirectPutDeliveryStream | undefined; // undefined while creating
  deleting: Promise<void> | undefined;
}

/**
 * The delivery streams of one server: Firehose's control-plane operations (create, describe, list, delete,
 * tags) and the put operations, each answering as Firehose does or throwing a {@link FirehoseApiError}.
 * Streams are saved under `<dataDir>/.rx-firehose/streams/` and opened again by {@link DeliveryStreamRegistry.open}.
 */
export class DeliveryStreamRegistry {
  #entries = new Map<string, Entry>();
  #accepting = true;

  private constructor(
    readonly dataDir: string,
    private readonly options: DeliveryStreamRegistryOptions,
  ) {}

  /** Opens the registry of `dataDir`, opening every stream saved there (each replays its log). */
  static async open(options: DeliveryStreamRegistryOptions = {}): Promise<DeliveryStreamRegistry> {
    const dataDir = options.dataDir ?? './firehose-data';
    const registry = new DeliveryStreamRegistry(dataDir, options);
    await mkdir(registry.#streamsDir, { recursive: true });
    for (const file of (await readdir(registry.#streamsDir)).filter((f) => f.endsWith('.json')).sort()) {
      const saved = JSON.parse(await readFile(join(registry.#streamsDir, file), 'utf8')) as SavedStream;
      const entry: Entry = { saved, stream: undefined, deleting: undefined };
      registry.#entries.set(saved.input.DeliveryStreamName!, entry);
      entry.stream = await registry.#start(saved.input);
      // A stream whose deletion a crash interrupted: deliver what its log holds, then finish deleting it.
      if (saved.status === 'DELETING') entry.deleting = registry.#finishDeleting(saved.input.DeliveryStreamName!, entry);
    }
    return registry;
  }

  get #streamsDir(): string {
    return join(this.dataDir, '.rx-firehose', 'streams');
  }

  get #now(): number {
    return (this.options.scheduler ?? asyncScheduler).now();
  }

  /** The names of the streams, sorted. */
  get names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The in-process stream object (with `putRecord`/`putRecordBatch`) of an active stream. */
  stream(name: unknown): DirectPutDeliveryStream {
    const entry = this.#entry(name);
    if (entry.stream === undefined || entry.saved.status !== 'ACTIVE')
      throw new FirehoseApiError(
        'ResourceInUseException',
        `Delivery stream ${String(name)} is ${entry.stream === undefined ? 'CREATING' : 'DELETING'}.`,
      );
    return entry.stream;
  }

  /** `CreateDeliveryStream`: validates, builds the pipeline (its configuration errors are `InvalidArgumentException`), saves. */
  async create(input: CreateDeliveryStreamInput): Promise<{ DeliveryStreamARN: string }> {
    this.#refuseIfClosing();
    if (typeof input !== 'object' || input === null)
      throw new FirehoseApiError('InvalidArgumentException', 'The request must be a CreateDeliveryStream input.');
    const name = checkName(input.DeliveryStreamName);
    const type = input.DeliveryStreamType ?? 'DirectPut';
    if (typeof type !== 'string' || !STREAM_TYPES.has(type))
      throw new FirehoseApiError(
        'InvalidArgumentException',
        `DeliveryStreamType must be one of ${[...STREAM_TYPES].join(', ')}; got ${JSON.stringify(type)}`,
      );
    const tags = checkTags(input.Tags ?? []);
    if (this.#entries.has(name))
      throw new FirehoseApiError('ResourceInUseException', `Firehose ${name} under account ${this.#accountId} already exists.`);
    const max = this.options.maxDeliveryStreams ?? 50;
    if (this.#entries.size >= max)
      throw new FirehoseApiError(
        'LimitExceededException',
        `You have already consumed your firehose quota of ${max} hoses. Firehose names: ${this.names.join(', ')}`,
      );
    const now = this.#now;
    const entry: Entry = {
      saved: { input, createdAtMs: now, updatedAtMs: now, status: 'ACTIVE', tags: dedupeTags([], tags) },
      stream: undefined,
      deleting: undefined,
    };
    this.#entries.set(name, entry); // reserved at once: a concurrent create of the same name is ResourceInUse
    try {
      entry.stream = await this.#start(input);
      await this.#save(entry.saved);
    } catch (err) {
      this.#entries.delete(name);
      await entry.stream?.stop().catch(() => undefined);
      throw err;
    }
    return { DeliveryStreamARN: entry.stream.arn };
  }

  /** `DescribeDeliveryStream`. */
  describe(name: unknown): { DeliveryStreamDescription: DeliveryStreamDescription } {
    const entry = this.#entry(name);
    return {
      DeliveryStreamDescription: describeDeliveryStream(entry.saved.input, {
        arn: entry.stream?.arn ?? '',
        status: entry.stream === undefined ? 'CREATING' : entry.saved.status,
        createdAtMs: entry.saved.createdAtMs,
        updatedAtMs: entry.saved.updatedAtMs,
      }),
    };
  }

  /** `ListDeliveryStreams`: names in order, after `ExclusiveStartDeliveryStreamName`, at most `Limit` (1–10,000, default 10). */
  list(request: { Limit?: unknown; DeliveryStreamType?: unknown; ExclusiveStartDeliveryStreamName?: unknown } = {}): {
    DeliveryStreamNames: string[];
    HasMoreDeliveryStreams: boolean;
  } {
    const limit = request.Limit ?? 10;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new FirehoseApiError('InvalidArgumentException', `Limit must be an integer 1–10000; got ${JSON.stringify(limit)}`);
    const after = request.ExclusiveStartDeliveryStreamName;
    const names = this.names.filter(
      (n) =>
        (typeof after !== 'string' || n > after) &&
        (request.DeliveryStreamType === undefined ||
          (this.#entries.get(n)!.saved.input.DeliveryStreamType ?? 'DirectPut') === request.DeliveryStreamType),
    );
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  /**
   * `DeleteDeliveryStream`: refuses further puts, delivers everything the stream accepted, then deletes it
   * (its saved configuration and its log). Answers once the stream is gone.
   */
  async delete(name: unknown): Promise<Record<string, never>> {
    this.#refuseIfClosing();
    const entry = this.#entry(name);
    if (entry.stream === undefined) throw new FirehoseApiError('ResourceInUseException', `Delivery stream ${String(name)} is CREATING.`);
    if (entry.deleting === undefined) {
      entry.saved = { ...entry.saved, status: 'DELETING', updatedAtMs: this.#now };
      await this.#save(entry.saved);
      entry.deleting = this.#finishDeleting(name as string, entry);
    }
    await entry.deleting;
    return {};
  }

  /** `TagDeliveryStream`: adds or replaces tags; more than 50 in all is `LimitExceededException`. */
  async tag(name: unknown, tags: unknown): Promise<Record<string, never>> {
    const entry = this.#active(name);
    const merged = dedupeTags(entry.saved.tags, checkTags(tags));
    if (merged.length > MAX_TAGS)
      throw new FirehoseApiError(
        'LimitExceededException',
        `A delivery stream may have at most ${MAX_TAGS} tags; this request would give it ${merged.length}.`,
      );
    entry.saved = { ...entry.saved, tags: merged };
    await this.#save(entry.saved);
    return {};
  }

  /** `UntagDeliveryStream`. */
  async untag(name: unknown, keys: unknown): Promise<Record<string, never>> {
    const entry = this.#active(name);
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_TAGS || !keys.every((k) => typeof k === 'string')) {
      throw new FirehoseApiError('InvalidArgumentException', `TagKeys must be 1–${MAX_TAGS} strings.`);
    }
    entry.saved = { ...entry.saved, tags: entry.saved.tags.filter((t) => !keys.includes(t.Key)) };
    await this.#save(entry.saved);
    return {};
  }

  /** `ListTagsForDeliveryStream`: tags by key, after `ExclusiveStartTagKey`, at most `Limit` (1–50, default 50). */
  listTags(name: unknown, request: { ExclusiveStartTagKey?: unknown; Limit?: unknown } = {}): { Tags: Tag[]; HasMoreTags: boolean } {
    const entry = this.#entry(name);
    const limit = request.Limit ?? MAX_TAGS;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_TAGS)
      throw new FirehoseApiError('InvalidArgumentException', `Limit must be an integer 1–${MAX_TAGS}; got ${JSON.stringify(limit)}`);
    const after = request.ExclusiveStartTagKey;
    const tags = [...entry.saved.tags]
      .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0))
      .filter((t) => typeof after !== 'string' || t.Key > after);
    return { Tags: tags.slice(0, limit), HasMoreTags: tags.length > limit };
  }

  /** `PutRecord` to a stream. */
  putRecord(name: unknown, record: PutRecordEntry): Promise<PutRecordAnswer> {
    return this.#putTarget(name).putRecord(record);
  }

  /** `PutRecordBatch` to a stream. */
  putRecordBatch(name: unknown, records: readonly PutRecordEntry[]): Promise<PutRecordBatchAnswer> {
    return this.#putTarget(name).putRecordBatch(records);
  }

  /**
   * Stops every stream: later requests get `ServiceUnavailableException`, everything accepted is delivered,
   * and the logs are emptied. Streams stay saved and open again at the next start.
   */
  async close(): Promise<void> {
    this.#accepting = false;
    const failures: unknown[] = [];
    await Promise.all(
      [...this.#entries.values()].map(async (entry) => {
        try {
          await entry.deleting;
          await entry.stream?.stop();
        } catch (err) {
          failures.push(err);
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
  }

  get #accountId(): string {
    return this.options.environment?.accountId ?? '000000000000';
  }

  #putTarget(name: unknown): DirectPutDeliveryStream {
    this.#refuseIfClosing();
    return this.stream(name);
  }

  #refuseIfClosing(): void {
    if (!this.#accepting)
      throw new FirehoseApiError('ServiceUnavailableException', 'The server is shutting down and accepts no more requests.');
  }

  #entry(name: unknown): Entry {
    const entry = typeof name === 'string' ? this.#entries.get(name) : undefined;
    if (entry === undefined) {
      if (typeof name !== 'string') throw new FirehoseApiError('InvalidArgumentException', 'DeliveryStreamName is required.');
      throw new FirehoseApiError('ResourceNotFoundException', `Firehose ${name} under account ${this.#accountId} not found.`);
    }
    return entry;
  }

  #active(name: unknown): Entry {
    const entry = this.#entry(name);
    if (entry.saved.status !== 'ACTIVE' || entry.stream === undefined)
      throw new FirehoseApiError('ResourceInUseException', `Delivery stream ${String(name)} is not ACTIVE.`);
    return entry;
  }

  #start(input: CreateDeliveryStreamInput): Promise<DirectPutDeliveryStream> {
    const metrics = this.options.metricsFor?.(input.DeliveryStreamName!) ?? this.options.metrics;
    const stream = openDeliveryStream(input, { ...this.options, ...(metrics === undefined ? {} : { metrics }) });
    const report =
      this.options.onStreamError ??
      ((n: string, e: unknown) =>
        process.stderr.write(`rx-firehose: delivery stream ${n} failed: ${String((e as Error)?.message ?? e)}\n`));
    void stream.then(
      (s) =>
        s.done.then(
          (summary) => summary.error === undefined || report(s.name, summary.error),
          (err: unknown) => report(s.name, err),
        ),
      () => undefined, // the caller of #start gets this error
    );
    return stream;
  }

  async #finishDeleting(name: string, entry: Entry): Promise<void> {
    await entry.stream!.stop();
    await unlink(this.#fileOf(name)).catch(ignoreMissing);
    await rm(logDirOf(this.dataDir, name), { recursive: true, force: true });
    await syncDirectory(this.#streamsDir);
    this.#entries.delete(name);
  }

  #fileOf(name: string): string {
    return join(this.#streamsDir, `${name}.json`);
  }

  /** Writes the stream's file atomically and durably: aside, synced, renamed, directory synced. */
  async #save(saved: SavedStream): Promise<void> {
    const target = this.#fileOf(saved.input.DeliveryStreamName!);
    const temp = `${target}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(saved, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    await syncDirectory(this.#streamsDir);
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
    throw new FirehoseApiError(
      'InvalidArgumentException',
      `DeliveryStreamName must be 1–64 characters of [a-zA-Z0-9_.-]; got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

function checkTags(tags: unknown): Tag[] {
  if (!Array.isArray(tags)) throw new FirehoseApiError('InvalidArgumentException', 'Tags must be a list of {Key, Value}.');
  if (tags.length > MAX_TAGS)
    throw new FirehoseApiError('LimitExceededException', `A request may carry at most ${MAX_TAGS} tags; got ${tags.length}.`);
  return tags.map((t: unknown, i) => {
    const { Key, Value } = (t ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128)
      throw new FirehoseApiError('InvalidArgumentException', `Tags[${i}].Key must be a string of 1–128 characters.`);
    if (Value !== undefined && (typeof Value !== 'string' || Value.length > 256))
      throw new FirehoseApiError('InvalidArgumentException', `Tags[${i}].Value must be a string of at most 256 characters.`);
    return Value === undefined ? { Key } : { Key, Value };
  });
}

/** `existing` with `added` applied: a tag of an existing key replaces it. */
function dedupeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) byKey.set(t.Key, t);
  return [...byKey.values()];
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
