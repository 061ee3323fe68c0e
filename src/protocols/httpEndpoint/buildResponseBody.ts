import { MAX_ERROR_MESSAGE_CHARS } from './protocol.js';

/**
 * The body of a response, exactly as the protocol has it: `{"requestId":"…","timestamp":<ms>}`, plus
 * `errorMessage` (cut to 8,192 characters) for an error. The request id is the request's own.
 */
export function buildResponseBody(requestId: string, timestampMs: number, errorMessage?: string | undefined): string {
  const timestamp = Math.trunc(timestampMs);
  return JSON.stringify(
    errorMessage === undefined
      ? { requestId, timestamp }
      : { requestId, timestamp, errorMessage: errorMessage.slice(0, MAX_ERROR_MESSAGE_CHARS) },
  );
}
