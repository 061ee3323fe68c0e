import { Buffer } from 'node:buffer';
import { DeliveryError } from '../destinations/DeliveryError.js';

/** The most bytes Lambda returns from a synchronous invocation; a larger response fails the invocation. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6_291_556;

/**
 * Holds a local handler's response to Lambda's response limit, as Lambda does: a response whose JSON is
 * longer than {@link LAMBDA_RESPONSE_LIMIT_BYTES} fails the invocation with the error Lambda reports
 * (`Unhandled`, `Function.ResponseSizeTooLarge`), which Firehose sees as `Lambda.FunctionError`: retried,
 * then the batch's records are processing-failed. Returns the response unchanged otherwise.
 */
export function checkResponseSize(response: unknown): unknown {
  let bytes: number;
  if (typeof response === 'string') bytes = Buffer.byteLength(response, 'utf8');
  else if (response instanceof Uint8Array) bytes = response.byteLength;
  else {
    const json = JSON.stringify(response);
    bytes = json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  }
  if (bytes > LAMBDA_RESPONSE_LIMIT_BYTES) {
    throw new DeliveryError(
      'Lambda.FunctionError',
      `Unhandled: Function.ResponseSizeTooLarge: Response payload size exceeded maximum allowed payload size (${LAMBDA_RESPONSE_LIMIT_BYTES} bytes). (the response was ${bytes} bytes)`,
    );
  }
  return response;
}
