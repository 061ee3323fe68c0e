import { Buffer } from 'node:buffer';
import type { DeliveryAttempt, ItemFailure, SendOutcome } from '../Destination.js';
import { DeliveryError } from '../DeliveryError.js';
import { narrowBulkRequest, type BulkRequest } from './buildBulkRequest.js';
import { sendBulkRequest, type BulkTarget } from './service.js';

/** What became of one document of a send: taken, or failed (and whether a retry can help). */
type DocumentOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string; readonly retriable: boolean };

const OK: DocumentOutcome = { ok: true };

/**
 * One send of a built bulk request (one or more wire requests, one after the other), and its outcome in the
 * destination contract's terms:
 *
 * - every document taken (`2xx`): `accepted`, located at the indices it went to;
 * - some documents failed: `partial`, naming them; those that failed with 429 or 5xx, or whose wire request
 *   failed in a way a retry can help, are retried alone, in a smaller request made of their very lines under
 *   their wire requests' ids; the others (a 4xx such as a mapping conflict) go to the error output at once,
 *   with OpenSearch's status as `errorCode` and its error object as `errorMessage`, as Firehose writes them;
 * - every wire request failed as a whole: thrown (the first failure), for the engine to retry the same
 *   request (or give up on a permanent error).
 *
 * A wire request the cluster refuses as too large (413) is cut in halves, sent one after the other in the
 * same send, down to single documents; a single document still too large fails for good
 * (`<prefix>.PayloadTooLarge`).
 */
export async function sendBulk(request: BulkRequest, target: BulkTarget, attempt: DeliveryAttempt): Promise<SendOutcome<BulkRequest>> {
  const groups: number[][] = request.ids.map(() => []);
  request.wire.forEach((w, p) => groups[w]!.push(p));
  const outcomes: DocumentOutcome[] = [];
  const wireErrors: unknown[] = [];
  for (const [w, positions] of groups.entries()) {
    let results: DocumentOutcome[];
    try {
      results = await sendPart(request, positions, request.ids[w]!, target, attempt, true);
    } catch (err) {
      if (attempt.signal.aborted) throw attempt.signal.reason;
      wireErrors.push(err);
      results = positions.map(() => failureOf(err, target.errorPrefix));
    }
    positions.forEach((p, i) => (outcomes[p] = results[i]!));
  }
  if (wireErrors.length === groups.length) throw wireErrors[0];

  const failed: ItemFailure[] = [];
  const retried: number[] = [];
  outcomes.forEach((outcome, p) => {
    if (outcome.ok) return;
    failed.push({
      index: request.items[p]!,
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
      retriable: outcome.retriable,
    });
    if (outcome.retriable) retried.push(p);
  });
  const indices = [...new Set(request.targets.filter((_t, p) => outcomes[p]!.ok).map((t) => t.indexName))];
  const location = indices.length === 0 ? undefined : `${target.endpoint.origin}/${indices.join(',')}`;
  if (failed.length === 0) return { status: 'accepted', location };
  return {
    status: 'partial',
    location,
    failed,
    ...(retried.length === 0 ? {} : { retry: narrowBulkRequest(request, retried) }),
  };
}

/**
 * Sends the documents at `positions` as one wire request; per document, what became of it. A failure of a
 * whole wire request is thrown (so its kind reaches the engine); a failure of a part of a split one becomes
 * its documents' failure.
 */
async function sendPart(
  request: BulkRequest,
  positions: readonly number[],
  id: string,
  target: BulkTarget,
  attempt: DeliveryAttempt,
  whole: boolean,
): Promise<DocumentOutcome[]> {
  const body = Buffer.concat(positions.map((p) => request.lines[p]!));
  let responses;
  try {
    responses = await sendBulkRequest(target, body, positions.length, id, attempt.signal, attempt.scheduler);
  } catch (err) {
    if (attempt.signal.aborted) throw attempt.signal.reason;
    const tooLarge = err instanceof DeliveryError && err.code === `${target.errorPrefix}.PayloadTooLarge`;
    if (tooLarge && positions.length > 1) {
      const half = Math.ceil(positions.length / 2);
      const first = await sendPart(request, positions.slice(0, half), id, target, attempt, false);
      const second = await sendPart(request, positions.slice(half), id, target, attempt, false);
      return [...first, ...second];
    }
    if (whole) throw err;
    return positions.map(() => failureOf(err, target.errorPrefix));
  }
  return responses.map((r): DocumentOutcome => {
    if (r.status >= 200 && r.status < 300) return OK;
    const retriable = r.status === 429 || r.status >= 500 || r.status === 0;
    return {
      ok: false,
      errorCode: String(r.status),
      errorMessage: typeof r.error === 'string' ? r.error : JSON.stringify(r.error ?? null),
      retriable,
    };
  });
}

/** A document's failure when its whole wire request failed. */
function failureOf(err: unknown, errorPrefix: string): DocumentOutcome {
  const e = err instanceof DeliveryError ? err : undefined;
  return {
    ok: false,
    errorCode: e?.code ?? `${errorPrefix}.ConnectionFailed`,
    errorMessage: (err as Error | undefined)?.message ?? String(err),
    retriable: e?.kind !== 'permanent',
  };
}
