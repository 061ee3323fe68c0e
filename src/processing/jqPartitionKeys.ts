import type { JqRunner } from './jqEngine.js';

/** The partition keys of one record, or why it has none. */
export type PartitionKeysOutcome =
  | { readonly ok: true; readonly keys: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

// Per record, jq gets the record's text as a JSON string, so that one record is always one input (a record
// holding two JSON values, or none, cannot shift the others), and parses it with its own parser (fromjson).
// `input`, `inputs` and `halt` would read or end other records' inputs: they are redefined to fail.
const GUARDS = ['input', 'inputs', 'halt', 'halt_error']
  .map((name) => `def ${name}: error("${name} is not available in a MetadataExtractionQuery");`)
  .join(' ');

// Numbers and booleans become their JSON text inside jq, which prints a number as it was written (a long id
// stays exact, where JavaScript's JSON.parse would round it). `reduce` costs less than `with_entries` here.
const NUMBERS_AS_TEXT =
  'if type == "object" then (. as $o | reduce keys_unsorted[] as $k ({}; .[$k] = ($o[$k] | ' +
  'if type == "number" or type == "boolean" then tojson else . end))) else . end';

/** The jq program that evaluates `query` for each input string: one `[status, value]` line per input. */
export function wrapQuery(query: string): string {
  return (
    `${GUARDS} def halt_error($code): error("halt_error is not available in a MetadataExtractionQuery"); ` +
    '(try [true, fromjson] catch [false, .]) as $p | ' +
    `if $p[0] then (try [0, [$p[1] | (\n${query}\n) | ${NUMBERS_AS_TEXT}]] catch [2, .]) else [1, $p[1]] end`
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Runs a MetadataExtractionQuery over records' data in one jq call (a call costs about as much as hundreds
 * of records) and returns each record's partition keys: the query's single output, a JSON object whose
 * values are strings (numbers and booleans are turned into their JSON text, as jq prints them).
 * Throws a `SyntaxError` when the query does not compile.
 */
export function jqPartitionKeys(jq: JqRunner, wrapped: string, data: readonly Uint8Array[]): PartitionKeysOutcome[] {
  const outcomes: Array<PartitionKeysOutcome | undefined> = new Array(data.length);
  const lines: string[] = [];
  const positions: number[] = [];
  data.forEach((bytes, i) => {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      outcomes[i] = { ok: false, errorCode: 'MetadataExtraction.InvalidJson', errorMessage: 'the record is not UTF-8 text, so not JSON' };
      return;
    }
    lines.push(JSON.stringify(text));
    positions.push(i);
  });
  if (lines.length > 0) {
    const result = jq.raw(lines.join('\n'), wrapped, ['-c']);
    if (result.exitCode !== 0) throw new SyntaxError(`the MetadataExtractionQuery does not run: ${result.stderr.trim()}`);
    const out = result.stdout.split('\n');
    if (out[out.length - 1] === '') out.pop();
    if (out.length !== lines.length)
      throw new Error(`jq answered ${out.length} line(s) for ${lines.length} record(s): ${result.stderr.trim()}`);
    out.forEach((line, k) => {
      outcomes[positions[k]!] = outcomeOf(JSON.parse(line) as [number, unknown]);
    });
  }
  return outcomes as PartitionKeysOutcome[];
}

function outcomeOf([status, value]: [number, unknown]): PartitionKeysOutcome {
  if (status === 1)
    return { ok: false, errorCode: 'MetadataExtraction.InvalidJson', errorMessage: `the record is not JSON: ${messageOf(value)}` };
  if (status === 2)
    return { ok: false, errorCode: 'MetadataExtraction.QueryFailed', errorMessage: `the query failed: ${messageOf(value)}` };
  const results = value as unknown[];
  const invalid = (why: string): PartitionKeysOutcome => ({
    ok: false,
    errorCode: 'MetadataExtraction.InvalidPartitionKeys',
    errorMessage: why,
  });
  if (results.length !== 1) return invalid(`the query must give one JSON object of partition keys; it gave ${results.length} outputs`);
  const object = results[0];
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    return invalid(`the query must give a JSON object of partition keys; it gave ${JSON.stringify(object)}`);
  const keys: Record<string, string> = {};
  for (const [key, v] of Object.entries(object)) {
    if (typeof v === 'string') keys[key] = v;
    else return invalid(`partition key "${key}" must be a string, number or boolean; the query gave ${JSON.stringify(v)}`);
  }
  return { ok: true, keys };
}

function messageOf(value: unknown): string {
  return typeof value === 'string' ? value.replace(/ \(while parsing '.*'\)$/s, '') : JSON.stringify(value);
}
