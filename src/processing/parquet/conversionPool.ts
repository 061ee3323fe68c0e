import type { SchedulerLike, Subscription } from 'rxjs';
import { unreferencedScheduler } from '../../rx/unreferencedScheduler.js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { recordViews } from './recordViews.js';
import { convertBatch, type ConversionFailure, type ConversionSettings, type ConvertedBatch } from './convertBatch.js';

/** A batch posted to a conversion worker: the records' bytes in one transferred buffer, record i ending at `ends[i]`. */
export interface ConversionRequest {
  readonly id: number;
  readonly settings: ConversionSettings;
  readonly data: ArrayBuffer;
  readonly ends: Float64Array;
  readonly groups?: Int32Array | undefined;
}

/** What a conversion worker posts back: the converted batch (files transferred), or why it could not convert it. */
export type ConversionReply =
  | { readonly id: number; readonly failed: ConversionFailure[]; readonly files: ConvertedBatch['files'] }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

/** Where batches are converted: worker threads, or the caller's thread. */
export interface ConversionPool {
  /** Converts a batch (see `convertBatch`) on a worker thread when one is free or can start, else waits for one. */
  convert(settings: ConversionSettings, records: readonly Uint8Array[], groups?: Int32Array): Promise<ConvertedBatch>;
  /** Worker threads alive now: starting, converting, or idle (for at most `idleMs`). */
  readonly threads: number;
}

/** Options of {@link conversionPool}. */
export interface ConversionPoolOptions {
  /** The most worker threads at once; 0 converts on the caller's thread. */
  readonly size: number;
  /** The worker's entry file. Default: `conversionWorker.js` (or `.ts`, from sources) beside this module. */
  readonly workerFile?: URL | undefined;
  /** Memory limits of each worker thread (a worker over them stops, and its batch fails). */
  readonly resourceLimits?: ResourceLimits | undefined;
  /**
   * How long an idle thread waits for the next batch before it stops. Default {@link IDLE_MS}; 0 stops it
   * as soon as no batch waits. An idle thread never keeps the process alive.
   */
  readonly idleMs?: number | undefined;
  /** Times `idleMs`. Default {@link unreferencedScheduler}: its timers never keep the process alive. */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * How long an idle conversion thread is kept, by default: a pipeline whose batches come at least once a
 * minute keeps its threads started and compiled (a new thread costs its start and a cold compiler: in one
 * bench run, batches converted at 0.45–0.56× the in-process speed on new threads, 1.07–1.22× on kept
 * ones), and one that ended leaves none behind a minute later. Idle threads are unreferenced: they never keep a process alive.
 */
export const IDLE_MS = 60_000;

interface Task {
  readonly request: ConversionRequest;
  resolve(batch: ConvertedBatch): void;
  reject(err: unknown): void;
}

interface Thread {
  readonly worker: Worker;
  ready: boolean;
  task: Task | undefined;
  error: unknown;
  /** Set while the thread is idle: its stop, scheduled `idleMs` ahead. */
  idle: Subscription | undefined;
}

/**
 * Converts batches on up to `size` worker threads (`node:worker_threads`), so that parsing, checking and
 * writing a 64 MiB batch does not hold the event loop for seconds.
 *
 * A batch's records are usually views into Node's shared buffer pool, so they are copied into one buffer
 * (one `memcpy` each), which is transferred to the worker, not copied again; the files come back the same
 * way. Threads start when batches wait; an idle thread waits `idleMs` for the next batch (unreferenced: it
 * keeps no process alive), then stops, so a pipeline that ended leaves no thread behind. When a worker cannot start (its entry file is missing, as in a bundle made
 * without it, or it fails to load), the pool says so once with a process warning
 * (`RX_FIREHOSE_PARQUET_IN_PROCESS`) and converts every batch on the caller's thread from then on: no
 * batch is lost. A worker that stops while converting (out of memory, crashed) rejects that batch, which
 * its destination then fails to the error output like any batch it cannot build; the next batch gets a new
 * worker.
 */
export function conversionPool(options: ConversionPoolOptions): ConversionPool {
  const { size, resourceLimits, idleMs = IDLE_MS, scheduler = unreferencedScheduler } = options;
  const threads: Thread[] = [];
  const queue: Task[] = [];
  let inProcess = size === 0;
  let nextId = 0;

  const runInProcess = (task: Task): void => {
    const { settings, data, ends, groups } = task.request;
    convertBatch(settings, recordViews(data, ends), groups).then(task.resolve, task.reject);
  };

  const fallBack = (reason: unknown): void => {
    if (inProcess) return;
    inProcess = true;
    const why = (reason as Error)?.message ?? String(reason);
    process.emitWarning(
      `parquetConversion converts on the event loop from now on: its worker thread could not start (${why}); each batch blocks the event loop while it converts`,
      { type: 'ParquetConversionWarning', code: 'RX_FIREHOSE_PARQUET_IN_PROCESS' },
    );
    dispatch(); // threads converting finish their batch (its buffer is theirs); the others stop
  };

  const start = (): void => {
    const file = options.workerFile ?? defaultWorkerFile();
    if (file === undefined) {
      fallBack(new Error('conversionWorker.js is not beside the module that starts it'));
      return;
    }
    let worker: Worker;
    try {
      const limits = resourceLimits === undefined ? {} : { resourceLimits };
      worker = file.pathname.endsWith('.ts')
        ? new Worker(
            `import(${JSON.stringify(tsxApi())}).then((tsx) => tsx.tsImport(${JSON.stringify(file.href)}, ${JSON.stringify(file.href)}))`,
            {
              eval: true,
              ...limits,
            },
          )
        : new Worker(file, limits);
    } catch (err) {
      fallBack(err);
      return;
    }
    const thread: Thread = { worker, ready: false, task: undefined, error: undefined, idle: undefined };
    threads.push(thread);
    worker.on('message', (message: ConversionReply | { ready: true }) => {
      if ('ready' in message) {
        thread.ready = true;
      } else {
        const task = thread.task;
        thread.task = undefined;
        if ('error' in message) task?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
        else task?.resolve({ failed: message.failed, files: message.files });
      }
      dispatch();
    });
    worker.on('error', (err) => {
      thread.error = err;
    });
    worker.on('exit', (code) => {
      thread.idle?.unsubscribe();
      const i = threads.indexOf(thread);
      if (i < 0) return; // stopped by the pool
      threads.splice(i, 1);
      const why = thread.error === undefined ? `exit code ${code}` : ((thread.error as Error).message ?? String(thread.error));
      if (!thread.ready) {
        fallBack(new Error(why));
      } else if (thread.task !== undefined) {
        thread.task.reject(new Error(`the Parquet conversion worker thread stopped while converting the batch (${why})`));
      }
      dispatch();
    });
  };

  const stop = (thread: Thread): void => {
    thread.idle?.unsubscribe();
    const i = threads.indexOf(thread);
    if (i >= 0) threads.splice(i, 1);
    void thread.worker.terminate();
  };

  const dispatch = (): void => {
    if (inProcess) for (const task of queue.splice(0)) runInProcess(task);
    for (const thread of [...threads]) {
      if (!thread.ready || thread.task !== undefined) continue;
      const task = queue.shift();
      if (task === undefined) {
        // Idle: it waits for the next batch without keeping the process alive, then stops.
        if (inProcess || idleMs === 0) stop(thread);
        else if (thread.idle === undefined) {
          thread.worker.unref();
          thread.idle = scheduler.schedule(() => stop(thread), idleMs);
        }
        continue;
      }
      thread.idle?.unsubscribe();
      thread.idle = undefined;
      thread.worker.ref(); // converting: the batch's result is awaited
      thread.task = task;
      thread.worker.postMessage(task.request, [task.request.data, task.request.ends.buffer as ArrayBuffer]);
    }
    const starting = threads.filter((t) => !t.ready).length;
    for (let n = starting; n < queue.length && threads.length < size && !inProcess; n++) start();
    // With idleMs 0 a thread still starting for a batch that another thread took stops too: no batch waits for it.
    if (idleMs === 0 && queue.length === 0) for (const thread of threads.filter((t) => !t.ready)) stop(thread);
  };

  return {
    get threads() {
      return threads.length;
    },
    convert(settings, records, groups) {
      if (inProcess) return convertBatch(settings, records, groups);
      // One buffer for the batch: records are views into shared pools and cannot be transferred as they are.
      let total = 0;
      for (const r of records) total += r.byteLength;
      const data = new ArrayBuffer(total);
      const bytes = new Uint8Array(data);
      const ends = new Float64Array(records.length);
      let at = 0;
      records.forEach((r, i) => {
        bytes.set(r, at);
        at += r.byteLength;
        ends[i] = at;
      });
      return new Promise<ConvertedBatch>((resolve, reject) => {
        queue.push({ request: { id: nextId++, settings, data, ends, groups }, resolve, reject });
        dispatch();
      });
    },
  };
}

/** The worker's entry beside this module: compiled (`dist/`, or the CLI's bundle) or, running from sources, TypeScript. */
function defaultWorkerFile(): URL | undefined {
  for (const name of ['./conversionWorker.js', './conversionWorker.ts']) {
    const url = new URL(name, import.meta.url);
    if (url.protocol === 'file:' && existsSync(url)) return url;
  }
  return undefined;
}

/** `tsx`'s API, to load the worker from TypeScript sources (tests, `npm run dev`): a development dependency only. */
function tsxApi(): string {
  const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return pathToFileURL(join(tsx, 'dist/esm/api/index.mjs')).href;
}
