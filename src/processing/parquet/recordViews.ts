/** The records of a batch posted as one buffer: record i is `data` from the end of record i − 1 to `ends[i]`. */
export function recordViews(data: ArrayBuffer, ends: Float64Array): Uint8Array[] {
  const records: Uint8Array[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    records[i] = new Uint8Array(data, start, ends[i]! - start);
    start = ends[i]!;
  }
  return records;
}
