/**
 * The one "does this item fit" rule, shared by everything that packs items into batches: the buffer
 * (`bufferBySizeOrTime`), the Lambda stage (records into invocations under the 6 MB payload limit) and
 * request planning (HTTP endpoint requests, OpenSearch bulk requests).
 *
 * An item of `sizeBytes` fits a batch holding `count` items of `bytes` when the batch stays within
 * `maxBytes` and below `maxCount` items with it. The first item of a batch always fits, however large: a
 * batch is never empty, and an item larger than the limit goes out alone (or is refused before packing,
 * where a destination has a per-item limit). When it does not fit, the batch is closed and the item opens
 * the next one.
 *
 * Small and pure so that V8 inlines it into the packers' loops (measured in `npm run bench`).
 */
export function fitsInBatch(
  count: number,
  bytes: number,
  sizeBytes: number,
  maxBytes: number,
  maxCount = Number.POSITIVE_INFINITY,
): boolean {
  return count === 0 || (bytes + sizeBytes <= maxBytes && count < maxCount);
}
