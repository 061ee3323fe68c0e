import { dataOf } from '../../records/dataOf.js';
import type { ConversionPool } from './conversionPool.js';
import type { ConversionSettings } from './convertBatch.js';
import type { DataFormatConversion } from './DataFormatConversion.js';
import { FormatConversionError } from './FormatConversionError.js';

/**
 * The conversion `parquetConversion` returns, over checked `settings` and the `pool` that converts its
 * batches. `check` converts a batch (read, checked and written as one file per group) and keeps the files;
 * `encode` hands over the file of the records it is given when `check` wrote exactly those, and converts
 * them again otherwise.
 */
export function pooledConversion(settings: ConversionSettings, pool: ConversionPool): DataFormatConversion {
  // The files `check` wrote, for `encode` (the store's stage gets the same record objects, grouped the same
  // way): each batch is read and written once. Keyed by a group's first record, weakly, so that files of
  // batches that never reach `encode` (unsubscribed) are not kept.
  const written = new WeakMap<object, { readonly records: readonly unknown[]; readonly body: Uint8Array }>();

  return {
    format: 'parquet',
    extension: '.parquet',
    async check(batch, groupOf) {
      const groups = groupOf === undefined ? undefined : groupsOf(batch, groupOf);
      const { failed, files } = await pool.convert(
        settings,
        batch.map((record) => dataOf(record)),
        groups,
      );
      const failedIndexes = new Set(failed.map((f) => f.index));
      const items: number[] = [];
      const members = new Map<number, unknown[]>();
      batch.forEach((record, index) => {
        if (failedIndexes.has(index)) return;
        items.push(index);
        const group = groups === undefined ? 0 : groups[index]!;
        const list = members.get(group);
        if (list === undefined) members.set(group, [record]);
        else list.push(record);
      });
      for (const { group, body } of files) {
        const records = members.get(group)!;
        if (typeof records[0] === 'object' && records[0] !== null) written.set(records[0], { records, body });
      }
      return { items, failed: failed.map((f) => ({ ...f, retriable: false })) };
    },
    async encode(records) {
      const first = records[0];
      const file = typeof first === 'object' && first !== null ? written.get(first) : undefined;
      if (file !== undefined && file.records.length === records.length && file.records.every((r, i) => r === records[i])) {
        written.delete(first as object);
        return file.body;
      }
      // Records `check` did not write as one file (not objects, or another grouping): convert them now.
      const { failed, files } = await pool.convert(
        settings,
        records.map((record) => dataOf(record)),
      );
      if (failed.length > 0) throw new FormatConversionError(failed[0]!.errorCode, failed[0]!.errorMessage);
      return files[0]!.body;
    },
  };
}

/** The group of each record (−1 when `groupOf` throws: the store fails that record), numbered in order of first appearance. */
function groupsOf(batch: readonly unknown[], groupOf: (record: unknown) => string): Int32Array {
  const ids = new Map<string, number>();
  const groups = new Int32Array(batch.length);
  batch.forEach((record, i) => {
    let key: string;
    try {
      key = groupOf(record);
    } catch {
      groups[i] = -1;
      return;
    }
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    groups[i] = id;
  });
  return groups;
}
