import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractPartitionKeys, InvalidOptionError, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination, trackSettlements } from '../../src/testing/index.js';
import { aptInstall } from '../support/aptInstall.js';
import { failuresIn, rec } from './support.js';

/** The query of the developer guide's dynamic partitioning example. */
const GUIDE_QUERY =
  '{customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime("%Y"), month: .event_timestamp|strftime("%m")}';

/** Debian's jq 1.6, the version Firehose names (JQ-1.6): the oracle. One output line per input line. */
function jq16(query: string, inputs: readonly string[]): string[] {
  const run = spawnSync('jq', ['-c', query], { input: inputs.join('\n'), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`jq failed: ${run.stderr}`);
  return run.stdout.split('\n').filter((l) => l !== '');
}

const run = (records: FirehoseRecord[], operator: ReturnType<typeof extractPartitionKeys>): Promise<FirehoseRecord[]> =>
  lastValueFrom(from(records).pipe(operator, toArray()));

describe('extractPartitionKeys', () => {
  beforeAll(async () => {
    const version = spawnSync('jq', ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) {
      const failed = aptInstall(['jq']);
      if (failed !== undefined) throw new Error(`cannot install Debian's jq, the oracle: ${failed}`);
    }
    expect(spawnSync('jq', ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe('jq-1.6');
    // Load the WebAssembly jq once, in real time, so that marble tests below find it loaded.
    await run([rec('warm', '{}')], extractPartitionKeys({ query: '{}' }));
  }, 120_000);

  it("should give the developer guide's keys for its example record", async () => {
    const record = rec(
      'r',
      '{"type":{"device":"mobile","event":"user_clicked_submit_button"},"customer_id":"1234567890","event_timestamp":1565382027,"region":"sample_region"}',
    );
    const [out] = await run([record], extractPartitionKeys({ query: GUIDE_QUERY }));
    expect(out!.queryPartitionKeys).toEqual({ customer_id: '1234567890', device: 'mobile', year: '2019', month: '08' });
    expect(out).toMatchObject({ recordId: 'r', data: record.data });
  });

  it("should agree with jq 1.6 on any record of the guide's shape (property, jq 1.6 as the oracle)", async () => {
    const click = fc.record({
      customer_id: fc.oneof(fc.string({ maxLength: 12 }), fc.integer()),
      type: fc.record({ device: fc.constantFrom('mobile', 'desktop', 'tablet'), event: fc.string({ maxLength: 5 }) }),
      event_timestamp: fc.integer({ min: 0, max: 4_000_000_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(click, { minLength: 1, maxLength: 40 }), async (clicks) => {
        const lines = clicks.map((c) => JSON.stringify(c));
        const query =
          '{customer_id: .customer_id|tostring, device: .type.device, year: .event_timestamp|strftime("%Y"), hour: .event_timestamp|strftime("%H")}';
        const expected = jq16(query, lines).map((l) => JSON.parse(l));
        const out = await run(
          lines.map((l, i) => rec(`r${i}`, l)),
          extractPartitionKeys({ query }),
        );
        expect(out.map((r) => r.queryPartitionKeys)).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });

  it('should send records that are not JSON, whose query fails, or whose result is not an object of strings to processing-failed', async () => {
    const lake = memoryDestination<unknown>();
    const records = [
      rec('text', 'not json'),
      rec('binary', Uint8Array.of(0xff, 0xfe)),
      rec('two', '{"a":"1"} {"a":"2"}'),
      rec('fails', '{"a":[1]}'),
      rec('null', '{}'),
      rec('nested', '{"a":{"b":1}}'),
      rec('ok', '{"a":"x"}\n'),
      rec('number', '{"a":12345678901234567890123}'),
    ];
    const log = trackSettlements(records);
    const out = await run(
      records,
      extractPartitionKeys({ query: '{a: (.a | if type == "array" then error("arrays refused") else . end)}', errorOutput: lake }),
    );
    expect(out.map((r) => [r.recordId, r.queryPartitionKeys])).toEqual([
      ['ok', { a: 'x' }],
      ['number', { a: '12345678901234567890123' }], // exactly as written, not rounded
    ]);
    expect(failuresIn(lake).map((f) => [f.type, f.errorCode])).toEqual([
      ['processing-failed', 'MetadataExtraction.InvalidJson'],
      ['processing-failed', 'MetadataExtraction.InvalidJson'],
      ['processing-failed', 'MetadataExtraction.InvalidJson'],
      ['processing-failed', 'MetadataExtraction.QueryFailed'],
      ['processing-failed', 'MetadataExtraction.InvalidPartitionKeys'],
      ['processing-failed', 'MetadataExtraction.InvalidPartitionKeys'],
    ]);
    expect(failuresIn(lake)[3]!.errorMessage).toContain('arrays refused');
    expect(log.events.map((e) => e.outcome)).toEqual(Array(6).fill('failed'));
  });

  it("should still answer every record of a batch when jq's parser refuses a record JavaScript's accepted", async () => {
    const lake = memoryDestination<unknown>();
    const deep = `{"k":"deep","v":${'['.repeat(20_000)}${']'.repeat(20_000)}}`; // deeper than jq parses
    expect(() => JSON.parse(deep)).not.toThrow();
    const out = await run(
      [rec('a', '{"k":"1"}'), rec('deep', deep), rec('b', '{"k":"2"}')],
      extractPartitionKeys({ query: '{k: .k}', errorOutput: lake }),
    );
    expect(out.map((r) => [r.recordId, r.queryPartitionKeys])).toEqual([
      ['a', { k: '1' }],
      ['b', { k: '2' }],
    ]);
    expect(failuresIn(lake).map((f) => [f.errorCode, f.errorMessage.slice(0, 30)])).toEqual([
      ['MetadataExtraction.InvalidJson', 'the record is not JSON: Exceed'],
    ]);
  });

  it('should keep a query to its own record: input, inputs and halt are refused', async () => {
    const lake = memoryDestination<unknown>();
    const records = [rec('a', '{"k":"1"}'), rec('b', '{"k":"2"}'), rec('c', '{"k":"3"}')];
    const out = await run(records, extractPartitionKeys({ query: '{k: .k, next: (input | .k)}', errorOutput: lake }));
    expect(out).toEqual([]);
    expect(failuresIn(lake).map((f) => f.errorMessage)).toEqual(
      Array(3).fill('the query failed: input is not available in a MetadataExtractionQuery'),
    );
    const halted = await run(records, extractPartitionKeys({ query: 'halt', errorOutput: memoryDestination() }));
    expect(halted).toEqual([]);
  });

  it('should error the stream with InvalidOptionError for a query that does not compile, and refuse bad options at the call', async () => {
    await expect(run([rec('a', '{}')], extractPartitionKeys({ query: '{a: .a' }))).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => extractPartitionKeys({ query: ' ' })).toThrow(InvalidOptionError);
    expect(() => extractPartitionKeys({ query: '.', jsonParsingEngine: 'JQ-1.5' as 'JQ-1.6' })).toThrow(InvalidOptionError);
    expect(() => extractPartitionKeys({ query: '.', maxBatchRecords: 0 })).toThrow(InvalidOptionError);
  });

  it('should evaluate the records of one frame in one batch, in order, and emit them in that frame (marbles)', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      const r = (id: string, c: string): FirehoseRecord => rec(id, JSON.stringify({ c }));
      const source = cold('-(ab)--c-|', { a: r('a', 'x'), b: r('b', 'y'), c: r('c', 'x') });
      const keyed = (record: FirehoseRecord, c: string): FirehoseRecord => ({ ...record, queryPartitionKeys: { c } });
      expectObservable(source.pipe(extractPartitionKeys({ query: '{c: .c}', maxBatchRecords: 2, scheduler }))).toBe('-(ab)--c-|', {
        a: keyed(r('a', 'x'), 'x'),
        b: keyed(r('b', 'y'), 'y'),
        c: keyed(r('c', 'x'), 'x'),
      });
    });
  });
});
