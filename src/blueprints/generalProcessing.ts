// A Firehose data-transformation blueprint: self-contained (only type imports), so this file, compiled, is
// a Lambda function as it is. Handler: `generalProcessing`.
import { Buffer } from 'node:buffer';
import type { BlueprintEvent, BlueprintResult } from './BlueprintTypes.js';

/**
 * The general processing template: every record comes back `Ok`, its data unchanged. Copy this file and
 * edit {@link transformRecordText}; throw from it to mark the record `ProcessingFailed`, return `null` to
 * drop it.
 *
 * ## Example
 * ```ts
 * import { generalProcessing } from 'rx-firehose/blueprints';
 * import { transformWithLambda } from 'rx-firehose/operators';
 *
 * records$.pipe(transformWithLambda(generalProcessing));
 * ```
 */
export async function generalProcessing(event: BlueprintEvent): Promise<BlueprintResult> {
  return {
    records: event.records.map(({ recordId, data }) => {
      let out: string | null;
      try {
        out = transformRecordText(Buffer.from(data, 'base64').toString('utf8'));
      } catch {
        return { recordId, result: 'ProcessingFailed' as const, data };
      }
      if (out === null) return { recordId, result: 'Dropped' as const, data };
      return { recordId, result: 'Ok' as const, data: Buffer.from(out, 'utf8').toString('base64') };
    }),
  };
}

/** Edit here: the new text of one record, `null` to drop it; throw to fail it. */
function transformRecordText(text: string): string | null {
  return text;
}
