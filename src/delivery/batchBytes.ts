/**
 * The byte size of a batch as the buffer that made it counted it, so that `deliverTo` does not count every
 * record again: `bufferBySizeOrTime` notes each batch it emits (one entry per batch, not per record), and the
 * engine uses the noted total when it measures records with the same size function.
 */
interface Noted {
  readonly bytes: number;
  /** The batch's length when noted: a batch changed in place since is measured again. */
  readonly length: number;
  readonly sizeOf: (value: never) => number;
}

const noted = new WeakMap<object, Noted>();

/** Notes that `batch` holds `bytes` as `sizeOf` counts them (the batch must not change afterwards). */
export function noteBatchBytes(batch: readonly unknown[], bytes: number, sizeOf: (value: never) => number): void {
  noted.set(batch, { bytes, length: batch.length, sizeOf });
}

/** The bytes noted for `batch` if they were counted with `sizeOf`, else `undefined`. */
export function notedBatchBytes(batch: readonly unknown[], sizeOf: (value: never) => number): number | undefined {
  const n = noted.get(batch);
  return n !== undefined && n.sizeOf === sizeOf && n.length === batch.length ? n.bytes : undefined;
}
