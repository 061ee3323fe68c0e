import { Buffer } from 'node:buffer';
import { from, lastValueFrom } from 'rxjs';
import { extractPartitionKeys } from '../src/processing/extractPartitionKeys.js';
import { loadJq } from '../src/processing/jqEngine.js';
import { jqPartitionKeys, wrapQuery } from '../src/processing/jqPartitionKeys.js';
import type { FirehoseRecord } from '../src/records/FirehoseRecord.js';
import { medianMs, perSecond } from './measure.js';

const RECORDS = 20_000;
const QUERY = '{customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime("%Y")}';

/**
 * JQ partition keys (the MetadataExtraction processor) against JSON.parse alone, on the same records in one
 * run: the operator with its default batches of 500 records, jq called once per record (what batching
 * avoids), and JSON.parse of each record plus reading the same fields in JavaScript (the floor).
 */
export async function benchProcessing(): Promise<void> {
  const records: FirehoseRecord[] = Array.from({ length: RECORDS }, (_, i) => ({
    recordId: String(i),
    data: Buffer.from(
      JSON.stringify({
        type: { device: i % 3 === 0 ? 'mobile' : 'desktop', event: 'click' },
        customer_id: `c${i % 97}`,
        event_timestamp: 1_565_382_027 + i,
        region: 'eu',
      }),
    ),
    approximateArrivalTimestamp: 0,
  }));
  const jq = await loadJq();
  const wrapped = wrapQuery(QUERY);
  const decoder = new TextDecoder();

  const parseOnly = medianMs(() => {
    for (const r of records) {
      const o = JSON.parse(decoder.decode(r.data)) as { customer_id: string; type: { device: string }; event_timestamp: number };
      void { customer_id: o.customer_id, device: o.type.device, year: String(new Date(o.event_timestamp * 1000).getUTCFullYear()) };
    }
  }, 5);
  const perRecordCount = 1_000;
  const perRecord = medianMs(() => {
    for (let i = 0; i < perRecordCount; i++) jqPartitionKeys(jq, wrapped, [records[i]!.data]);
  }, 3);
  const started = performance.now();
  await lastValueFrom(from(records).pipe(extractPartitionKeys({ query: QUERY })));
  let operatorMs = performance.now() - started;
  const again = performance.now();
  await lastValueFrom(from(records).pipe(extractPartitionKeys({ query: QUERY })));
  operatorMs = Math.min(operatorMs, performance.now() - again);

  const parseRate = RECORDS / parseOnly;
  console.log(
    `extractPartitionKeys: ${perSecond(RECORDS, operatorMs, 'records')} in batches of 500 ` +
      `(${(parseRate / (RECORDS / operatorMs)).toFixed(1)}× slower than JSON.parse alone, ${perSecond(RECORDS, parseOnly, 'records')}); ` +
      `one jq call per record: ${perSecond(perRecordCount, perRecord, 'records')} (batching is ${(RECORDS / operatorMs / (perRecordCount / perRecord)).toFixed(0)}× faster)`,
  );
}
