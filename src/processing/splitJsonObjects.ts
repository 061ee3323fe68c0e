const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits `data` into the JSON objects it holds one after another (`{"a":1}{"a":2}`, or one per line), as
 * views of `data`: the sub-records of Firehose's JSON de-aggregation. Whitespace between objects is dropped.
 * Returns a string saying what is wrong when `data` is anything else: an array, a bare value, text between
 * objects, an unclosed object, an object that is not valid JSON, or bytes that are not UTF-8.
 */
export function splitJsonObjects(data: Uint8Array): Uint8Array[] | string {
  const objects: Uint8Array[] = [];
  let i = 0;
  const n = data.byteLength;
  while (i < n) {
    const c = data[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    if (c !== OPEN) return `expected a JSON object at byte ${i}, found ${JSON.stringify(String.fromCharCode(c))}`;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const b = data[i]!;
      if (inString) {
        if (b === BACKSLASH) i++;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN || b === 0x5b) depth++;
      else if (b === CLOSE || b === 0x5d) {
        depth--;
        if (depth === 0) break;
      }
    }
    if (i >= n) return `the JSON object at byte ${start} is not closed`;
    i++;
    const object = data.subarray(start, i);
    try {
      JSON.parse(utf8.decode(object));
    } catch (err) {
      return `the JSON object at byte ${start} is not valid JSON: ${(err as Error).message}`;
    }
    objects.push(object);
  }
  return objects;
}
