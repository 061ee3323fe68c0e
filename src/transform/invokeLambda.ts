import { Buffer } from 'node:buffer';
import type { InvokeCommand, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { optionalPeer } from '../aws/optionalPeer.js';
import { DeliveryError } from '../destinations/DeliveryError.js';

/** The command, loaded at the first invocation: importing rx-firehose loads no AWS SDK. */
const lambdaSdk = optionalPeer('@aws-sdk/client-lambda', 'transformWithLambda', () => import('@aws-sdk/client-lambda'));

/**
 * The one Lambda call `transformWithLambda` makes (Invoke). A `LambdaClient` from `@aws-sdk/client-lambda` fits
 * (the caller builds and configures it: region, credentials, endpoint).
 */
export interface LambdaInvokeClient {
  send(command: InvokeCommand, options?: { readonly abortSignal?: AbortSignal }): Promise<InvokeCommandOutput>;
}

/** A real Lambda function, invoked through the Invoke API (RequestResponse). */
export interface LambdaFunction {
  /** A `LambdaClient` you configured; rx-firehose never builds one. */
  readonly client: LambdaInvokeClient;
  /** Function name, or its full ARN. */
  readonly functionName: string;
  /** Version or alias. */
  readonly qualifier?: string | undefined;
}

// The Invoke API's errors, as Firehose names them in its processing-failed records.
const CODES: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'Lambda.ResourceNotFound',
  TooManyRequestsException: 'Lambda.InvokeLimitExceeded',
  AccessDeniedException: 'Lambda.InvokeAccessDenied',
  RequestTooLargeException: 'Lambda.RequestTooLarge',
};

/**
 * Invokes `target` synchronously with `event` and returns the response payload as text. A function error
 * (`FunctionError` set: the handler threw, or Lambda stopped it) throws a `DeliveryError`
 * `Lambda.FunctionError` (`Lambda.FunctionTimedOut` when Lambda reports a timeout) with the function's
 * error message; Invoke API errors throw `Lambda.<code>` (`Lambda.ResourceNotFound`,
 * `Lambda.InvokeLimitExceeded`, …). The only code of the Lambda stage that talks to the network.
 */
export async function invokeLambda(target: LambdaFunction, event: unknown, signal: AbortSignal): Promise<string> {
  let output;
  try {
    const { InvokeCommand } = await lambdaSdk();
    output = await target.client.send(
      new InvokeCommand({
        FunctionName: target.functionName,
        ...(target.qualifier === undefined ? {} : { Qualifier: target.qualifier }),
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(event)),
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    const name = (err as { name?: unknown }).name;
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // Some Invoke API implementations answer an oversized payload with a bare 413.
    const known = status === 413 ? 'RequestTooLargeException' : name;
    const code = typeof known === 'string' ? (CODES[known] ?? `Lambda.${known.replace(/Exception$/, '')}`) : 'Lambda.InvokeError';
    throw new DeliveryError(code, (err as Error).message ?? String(err), { cause: err });
  }
  const payload = output.Payload === undefined ? '' : Buffer.from(output.Payload).toString('utf8');
  if (output.FunctionError !== undefined) {
    let message = payload;
    try {
      const parsed = JSON.parse(payload) as { errorMessage?: unknown; errorType?: unknown };
      if (typeof parsed.errorMessage === 'string')
        message = `${typeof parsed.errorType === 'string' ? parsed.errorType + ': ' : ''}${parsed.errorMessage}`;
    } catch {
      // not JSON: keep the raw payload as the message
    }
    // AWS says "Task timed out after …"; serverless-offline says "[504] - Lambda timeout.".
    const timedOut = /timed out|lambda timeout/i.test(message);
    throw new DeliveryError(timedOut ? 'Lambda.FunctionTimedOut' : 'Lambda.FunctionError', `${output.FunctionError}: ${message}`);
  }
  return payload;
}
