import { concat, concatMap, defer, finalize, from, of, type Observable, type OperatorFunction } from 'rxjs';
import { errorAfterDrain } from '../rx/errorAfterDrain.js';
import { bufferBySizeOrTime } from '../../operators/bufferBySizeOrTime.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkNumber } from '../options/checkNumber.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { writeProcessingFailures } from './writeProcessingFailures.js';
import { carrySettlement } from '../settlement/carrySettlement.js';
import { checkProcessorOptions, type ProcessorOptions } from './checkProcessorOptions.js';
import { loadedJq, loadJq, type JqRunner } from './jqEngine.js';
import { jqPartitionKeys, wrapQuery } from './jqPartitionKeys.js';

const NAME = 'extractPartitionKeys';

export interface ExtractPartitionKeysOptions extends ProcessorOptions {
  /** Firehose's `MetadataExtractionQuery`: a jq filter giving an object of partition keys, e.g. `{customer_id: .customer_id}`. */
  readonly query: string;
  /** Firehose's `JsonParsingEngine`. Default and only value: `JQ-1.6` (run by jq 1.8, see the docs). */
  readonly jsonParsingEngine?: 'JQ-1.6' | undefined;
  /** Most records evaluated in one jq call. Default 500; 1 – 10,000. */
  readonly maxBatchRecords?: number | undefined;
}

/**
 * Evaluates a jq query over each JSON record and attaches the result as the record's `queryPartitionKeys`:
 * Firehose's `MetadataExtraction` processor (inline parsing for dynamic partitioning), whose keys fill
 * `!{partitionKeyFromQuery:<key>}` in an S3 prefix.
 *
 * <span class="informal">Real jq (WebAssembly), batched: one call per burst of records, not one per record.</span>
 *
 * ```
 * query: {customer_id: .customer_id}
 * source:  -a-b-x-|       a = '{"customer_id":"7"}', b = '{"customer_id":8}', x = 'oops'
 * result:  -A-B---|       A.queryPartitionKeys = { customer_id: '7' }, B: { customer_id: '8' }; x → processing-failed
 * ```
 *
 * The query must give exactly one JSON object per record; its values must be strings, numbers or booleans
 * (numbers and booleans become their JSON text, exactly as written in the record). A record that is not JSON
 * (`MetadataExtraction.InvalidJson`), a query that fails on it (`MetadataExtraction.QueryFailed`), or a
 * result of another shape (`MetadataExtraction.InvalidPartitionKeys`) goes to `errorOutput` as a
 * `processing-failed` failure record and settles once written.
 *
 * Records are evaluated in batches of up to `maxBatchRecords`, the records that arrive in one scheduler
 * frame (`bufferBySizeOrTime` with `maxMs: 0`): a jq call costs about as much as hundreds of records, so
 * batching is what makes jq fast enough (about 60× faster than a call per record). Records `JSON.parse`
 * accepts go to jq as they are; the others as JSON strings that jq parses itself, so jq decides what is JSON. Order is kept. Each record is one jq input however many JSON values
 * its text holds; `input`, `inputs`, `halt` and `halt_error` are refused inside the query, so a query only
 * ever sees its own record. jq is loaded once, at the first batch, from the optional peer dependency
 * `jq-wasm` (`MissingPeerDependencyError` when it is not installed). A query that does not compile errors
 * the stream with an `InvalidOptionError` at the first batch (`deliveryStreamFromConfig` compiles it earlier, while
 * the stream loads: see `jqCompileError`). A query runs synchronously: one that loops
 * forever blocks the process, as it would block `jq`.
 *
 * ## Example
 * ```ts
 * import { extractPartitionKeys, bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * records$.pipe(
 *   extractPartitionKeys({ query: '{customer_id: .customer_id}', errorOutput: lake }),
 *   bufferBySizeOrTime(),
 *   deliverTo(lake, { errorOutput: lake }), // prefix 'customer_id=!{partitionKeyFromQuery:customer_id}/'
 * );
 * ```
 *
 * @param options The query, the batch size, the error output and the scheduler.
 * @returns An operator from records to records with `queryPartitionKeys`.
 * @throws {InvalidOptionError} for an empty query, an engine other than JQ-1.6, or a batch size out of range.
 * @see bufferByPartition
 */
export function extractPartitionKeys(options: ExtractPartitionKeysOptions): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  const { options: o, errorOutput, scheduler } = checkProcessorOptions(NAME, options);
  if (typeof o.query !== 'string' || o.query.trim() === '')
    throw new InvalidOptionError(NAME, 'query', o.query, 'a jq filter, e.g. "{customer_id: .customer_id}"');
  if (o.jsonParsingEngine !== undefined && o.jsonParsingEngine !== 'JQ-1.6')
    throw new InvalidOptionError(NAME, 'jsonParsingEngine', o.jsonParsingEngine, '"JQ-1.6", the only engine Firehose has');
  const maxBatchRecords = checkNumber(NAME, 'maxBatchRecords', o.maxBatchRecords, 500, { min: 1, max: 10_000, integer: true });
  const query = o.query;
  const wrapped = wrapQuery(query);
  let checked = false;

  const evaluate = (jq: JqRunner, batch: readonly FirehoseRecord[], signal: AbortSignal): Observable<FirehoseRecord> => {
    let outcomes;
    try {
      outcomes = jqPartitionKeys(
        jq,
        wrapped,
        batch.map((r) => r.data),
      );
    } catch (err) {
      if (err instanceof SyntaxError && !checked)
        throw new InvalidOptionError(NAME, 'query', query, `a jq filter that compiles (${err.message})`);
      throw err;
    }
    checked = true;
    const passed: FirehoseRecord[] = [];
    const failed: FirehoseRecord[] = [];
    const reasons: Array<{ errorCode: string; errorMessage: string }> = [];
    outcomes.forEach((outcome, i) => {
      const record = batch[i]!;
      if (outcome.ok) {
        const out: FirehoseRecord = { ...record, queryPartitionKeys: outcome.keys };
        carrySettlement(record, out);
        passed.push(out);
      } else {
        failed.push(record);
        reasons.push(outcome);
      }
    });
    if (failed.length === 0) return from(passed);
    const written = writeProcessingFailures(
      {
        stage: 'MetadataExtraction',
        errorOutputType: 'processing-failed',
        batchId: `MetadataExtraction/${failed[0]!.recordId}`,
        records: failed,
        reasons,
        errorOutput,
        scheduler,
      },
      signal,
    );
    return concat(written, from(passed));
  };

  return (source) =>
    defer(() => {
      const abort = new AbortController();
      return source.pipe(
        errorAfterDrain((records) =>
          records.pipe(
            bufferBySizeOrTime<FirehoseRecord>({ maxMs: 0, maxRecords: maxBatchRecords, maxBytes: 64 * 1024 * 1024, scheduler }),
            concatMap((batch) => {
              const jq = loadedJq();
              const engine = jq === undefined ? from(loadJq()) : of(jq);
              return engine.pipe(concatMap((ready) => evaluate(ready, batch, abort.signal)));
            }),
          ),
        ),
        finalize(() => abort.abort()),
      );
    });
}
