import type { JqRunner } from './jqEngine.js';

/** The partition keys of one record, or why it has none. */
export type PartitionKeysOutcome =
  | { readonly ok: true; readonly keys: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

// Two programs. The fast one takes the records' texts as jq's input, one JSON value each (JSON.parse accepted
// every one of them first, so none can shift the others). The careful one takes each record's text as a JSON
// string and parses it with jq's own parser (fromjson): for records JavaScript refused (jq decides, with its
// message), and for a batch the fast program did not answer line for line.
// `input`, `inputs` and `halt` would read or end other records' inputs: they are redefined to fail.
const GUARDS =
  ['input', 'inputs', 'halt', 'halt_error']
    .map((name) => `def ${name}: error("${name} is not available in a MetadataExtractionQuery");`)
    .join(' ') + ' def halt_error($code): error("halt_error is not available in a MetadataExtractionQuery");';

// Numbers and booleans become their JSON text inside jq, which prints a number as it was written (a long id
// stays exact, where JavaScript's JSON.parse would round it). `reduce` costs less than `with_entries` here.
const NUMBERS_AS_TEXT =
  'if type == "object" then (. as $o | reduce keys_unsorted[] as $k ({}; .[$k] = ($o[$k] | ' +
  'if type == "number" or type == "boolean" then tojson else . end))) else . end';

/** The jq programs that evaluate a query for each input: one `[status, value]` line per input. */
export interface WrappedQuery {
  /** Over JSON values. */
  readonly values: string;
  /** Over JSON strings holding the records' texts. */
  readonly texts: string;
}

/** Wraps `query` in the programs {@link jqPartitionKeys} runs. */
export function wrapQuery(query: string): WrappedQuery {
  const evaluate = `(try [0, [(\n${query}\n) | ${NUMBERS_AS_TEXT}]] catch [2, .])`;
  return {
    values: `${GUARDS} ${evaluate}`,
    texts: `${GUARDS} (try [true, fromjson] catch [false, .]) as $p | if $p[0] then ($p[1] | ${evaluate}) else [1, $p[1]] end`,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const COMPILE_ERROR = 3;

/**
 * Runs a MetadataExtractionQuery over records' data in one jq call (a call costs about as much as hundreds
 * of records) and returns each record's partition keys: the query's single output, a JSON object whose
 * values are strings (numbers and booleans are turned into their JSON text, as jq prints them).
 * Throws a `SyntaxError` when the query does not compile.
 */
export function jqPartitionKeys(jq: JqRunner, wrapped: WrappedQuery, data: readonly Uint8Array[]): PartitionKeysOutcome[] {
  const outcomes: Array<PartitionKeysOutcome | undefined> = new Array(data.length);
  const values: string[] = [];
  const valuePositions: number[] = [];
  const texts: string[] = [];
  const textPositions: number[] = [];
  data.forEach((bytes, i) => {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      outcomes[i] = { ok: false, errorCode: 'MetadataExtraction.InvalidJson', errorMessage: 'the record is not UTF-8 text, so not JSON' };
      return;
    }
    let json = true;
    try {
      JSON.parse(text);
    } catch {
      json = false;
    }
    if (json) {
      values.push(text);
      valuePositions.push(i);
    } else {
      texts.push(JSON.stringify(text));
      textPositions.push(i);
    }
  });
  if (values.length > 0) {
    const answered = run(jq, wrapped.values, values);
    if (answered === undefined) {
      // Not answered line for line (jq's parser refused what JavaScript's accepted): the careful way.
      for (let k = 0; k < values.length; k++) {
        texts.push(JSON.stringify(values[k]));
        textPositions.push(valuePositions[k]!);
      }
    } else answered.forEach((line, k) => (outcomes[valuePositions[k]!] = outcomeOf(JSON.parse(line) as [number, unknown])));
  }
  if (texts.length > 0) {
    const answered = run(jq, wrapped.texts, texts);
    if (answered === undefined) throw new Error(`jq did not answer one line for each of ${texts.length} record(s)`);
    answered.forEach((line, k) => (outcomes[textPositions[k]!] = outcomeOf(JSON.parse(line) as [number, unknown])));
  }
  return outcomes as PartitionKeysOutcome[];
}

/** jq's output lines for `inputs`, or undefined when it did not answer one line per input. */
function run(jq: JqRunner, program: string, inputs: readonly string[]): string[] | undefined {
  const result = jq.raw(inputs.join('\n'), program, ['-c']);
  if (result.exitCode === COMPILE_ERROR) throw new SyntaxError(`the MetadataExtractionQuery does not compile: ${result.stderr.trim()}`);
  if (result.exitCode !== 0) return undefined;
  const out = result.stdout.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out.length === inputs.length ? out : undefined;
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
