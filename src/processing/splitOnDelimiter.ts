/**
 * Splits `data` at every occurrence of `delimiter` (not kept), as views of `data`, leaving out empty
 * pieces (a trailing delimiter, two delimiters in a row): the sub-records of Firehose's DELIMITED
 * de-aggregation.
 */
export function splitOnDelimiter(data: Uint8Array, delimiter: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  const d = delimiter.byteLength;
  const first = delimiter[0]!;
  let start = 0;
  let i = data.indexOf(first);
  while (i !== -1 && i + d <= data.byteLength) {
    let match = true;
    for (let k = 1; k < d; k++) {
      if (data[i + k] !== delimiter[k]) {
        match = false;
        break;
      }
    }
    if (match) {
      if (i > start) pieces.push(data.subarray(start, i));
      start = i + d;
      i = data.indexOf(first, start);
    } else i = data.indexOf(first, i + 1);
  }
  if (data.byteLength > start) pieces.push(data.subarray(start));
  return pieces;
}
