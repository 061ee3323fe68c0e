import type { SchedulerLike } from 'rxjs';
import { mapInOrder } from '../../codecs/mapInOrder.js';
import type { ItemFailure, SendOutcome } from '../Destination.js';
import { DeliveryError } from '../DeliveryError.js';
import { errorKindOf } from '../errorKindOf.js';
import type { HttpEndpointConfig } from './options.js';
import { requestOfParts, type HttpEndpointPart, type HttpEndpointRequest } from './requestBuilder.js';
import { postRequest } from './service.js';

/** POSTs of one request in flight at once, when its batch was split. */
const PARALLEL_REQUESTS = 4;

/**
 * Sends a built request: each of its POSTs, exactly as built (same body, same request id), up to four at
 * once. A single POST's failure is the send's (thrown, so a 413 stays permanent). When the batch was
 * split, the POSTs that failed make a partial outcome: their records failed, and the retry is the request
 * of exactly those POSTs, so each keeps its request id and its bytes.
 */
export async function sendHttpEndpointRequest(
  config: HttpEndpointConfig,
  request: HttpEndpointRequest,
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Promise<SendOutcome<HttpEndpointRequest>> {
  const outcomes = await mapInOrder(request.parts, PARALLEL_REQUESTS, async (part): Promise<unknown> => {
    try {
      await postRequest(config, part.requestId, part.body, signal, scheduler);
      return undefined;
    } catch (err) {
      return err ?? new Error('request failed');
    }
  });
  if (signal.aborted) throw signal.reason;
  if (request.parts.length === 1 && outcomes[0] !== undefined) throw outcomes[0];

  const delivered: string[] = [];
  const failed: ItemFailure[] = [];
  const retry: HttpEndpointPart[] = [];
  request.parts.forEach((part, i) => {
    const err = outcomes[i];
    if (err === undefined) {
      delivered.push(part.requestId);
      return;
    }
    const { code, message } = describe(err);
    const retriable = errorKindOf(err) !== 'permanent';
    if (retriable) retry.push(part);
    for (const index of part.items) failed.push({ index, errorCode: code, errorMessage: message, retriable });
  });
  const location = delivered.length === 0 ? undefined : `${config.location}#requestId=${delivered.join(',')}`;
  if (failed.length === 0) return { status: 'accepted', location };
  return { status: 'partial', location, failed, ...(retry.length === 0 ? {} : { retry: requestOfParts(retry) }) };
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof DeliveryError) return { code: err.code, message: err.message };
  const e = err as { name?: unknown; message?: unknown };
  return {
    code: `HttpEndpoint.${typeof e.name === 'string' ? e.name : 'Error'}`,
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}
