import { createHash } from 'node:crypto';
import type { SchedulerLike } from 'rxjs';
import { optionalPeer } from '../../aws/optionalPeer.js';
import { DeliveryError } from '../DeliveryError.js';
import type { DeliveryAttempt } from '../Destination.js';
import { dataApiErrorCode } from './dataApiErrorCode.js';
import { NAME, type RedshiftDataApiConfig } from './options.js';

const redshiftDataSdk = optionalPeer('@aws-sdk/client-redshift-data', NAME, () => import('@aws-sdk/client-redshift-data'));

/** The Data API's answers that mean "too many at once": retried with backoff as throttling. */
const THROTTLES = new Set([
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ActiveWaitingRequestsExceededException',
]);

/**
 * Runs one COPY through the Redshift Data API and resolves only once it is `FINISHED`: `ExecuteStatement`
 * (the workgroup or cluster, database and user of `dataApi`), then `DescribeStatement` every
 * `pollIntervalMs` on the pipeline's scheduler while the statement is `SUBMITTED`, `PICKED` or `STARTED`.
 *
 * Failures reject with a {@link DeliveryError}, retried by the COPY stage like a failed COPY over a
 * connection: a `FAILED` statement with its `Error` (`Redshift.TableNotFound`, …: {@link dataApiErrorCode}),
 * `ABORTED` (`Redshift.StatementAborted`), the API's exceptions (the `Active…Exceeded` ones as throttling).
 *
 * The `ClientToken` is derived from the batch, the attempt and the statement: the SDK's own retries of an
 * `ExecuteStatement` whose answer was lost get the same statement back instead of a second COPY. A
 * statement whose outcome is never learnt (the polls keep failing) fails the attempt, and the next attempt
 * runs the COPY again: at least once, as Firehose. When the pipeline is unsubscribed while the statement
 * runs (between polls or during one), it is cancelled (`CancelStatement`, best effort) and the attempt
 * rejects with the abort reason. Unsubscribed before `ExecuteStatement` answered, there is no `Id` to cancel:
 * the statement may still load the batch, which is read again (at least once).
 *
 * @returns The statement's id.
 */
export async function copyThroughDataApi(
  dataApi: RedshiftDataApiConfig,
  sql: string,
  { attempt, batchId, scheduler, signal }: DeliveryAttempt,
): Promise<string> {
  const { ExecuteStatementCommand, DescribeStatementCommand, CancelStatementCommand } = await redshiftDataSdk();
  signal.throwIfAborted();
  const { client } = dataApi;
  const clientToken = createHash('sha256').update(`${batchId}\n${attempt}\n${sql}`).digest('hex');
  let id: string | undefined;
  try {
    ({ Id: id } = await client.send(new ExecuteStatementCommand({ ...dataApi.target, Sql: sql, ClientToken: clientToken }), {
      abortSignal: signal,
    }));
  } catch (err) {
    throw signal.aborted ? signal.reason : apiFailure('ExecuteStatement', err);
  }
  if (id === undefined) throw new DeliveryError('Redshift.DataApiError', 'ExecuteStatement answered without a statement Id');
  try {
    return await pollUntilFinished(id);
  } catch (reason) {
    // Unsubscribed (during a wait or a poll): the records will be read again, so the statement should not
    // load them meanwhile.
    if (signal.aborted) client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
    throw reason;
  }

  async function pollUntilFinished(id: string): Promise<string> {
    for (;;) {
      await waitMs(dataApi.pollIntervalMs, scheduler, signal);
      let status: string | undefined;
      let error: string | undefined;
      try {
        ({ Status: status, Error: error } = await client.send(new DescribeStatementCommand({ Id: id }), { abortSignal: signal }));
      } catch (err) {
        throw signal.aborted ? signal.reason : apiFailure('DescribeStatement', err);
      }
      if (status === 'FINISHED') return id;
      if (status === 'FAILED') {
        const message = (error ?? 'the statement failed').replace(/^ERROR:\s*/, '');
        throw new DeliveryError(dataApiErrorCode({ statementError: message }), message);
      }
      if (status === 'ABORTED') throw new DeliveryError('Redshift.StatementAborted', `statement ${id} was aborted`);
    }
  }
}

function apiFailure(operation: string, err: unknown): DeliveryError {
  const name = (err as { name?: unknown }).name;
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError(dataApiErrorCode({ exception: err }), `${operation}: ${message}`, {
    kind: typeof name === 'string' && THROTTLES.has(name) ? 'throttled' : 'transient',
    cause: err,
  });
}

/** Resolves after `ms` on `scheduler`; rejects with the abort reason when `signal` aborts first. */
function waitMs(ms: number, scheduler: SchedulerLike, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = (): void => {
      timer.unsubscribe();
      reject(signal.reason);
    };
    const timer = scheduler.schedule(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
