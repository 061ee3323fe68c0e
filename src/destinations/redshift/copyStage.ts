import { DeliveryError } from '../DeliveryError.js';
import type { DeliveryRequest, Destination, ErrorOutput } from '../Destination.js';
import { type RedshiftConfig, sqlLiteral } from './options.js';
import { copyThroughDataApi } from './dataApiService.js';
import { redshiftErrorCode } from './redshiftErrorCode.js';
import type { StagedRecords } from './staging.js';
import { buildFailedManifests, type FailedManifestsRequest, sendFailedManifests } from './writeFailedManifests.js';

/** Stage 2's request: the COPY statement for one manifest. */
export interface CopyManifestRequest extends DeliveryRequest {
  readonly sql: string;
}

function messageOf(err: unknown): string {
  const e = err as { message?: unknown; detail?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  return typeof e.detail === 'string' && e.detail !== '' ? `${message} (${e.detail})` : message;
}

/**
 * Stage 2 of `redshiftDestination`: `COPY <table> (<columns>) FROM '<manifest>' CREDENTIALS … MANIFEST
 * <options>` on a connection of the pool, or through the Redshift Data API ({@link copyThroughDataApi}). Every failure is retried within `retryDurationMs` (a table or
 * column may be fixed meanwhile, a cluster may come back), as Firehose does; then the manifest goes to
 * `<prefix>errors/manifests/…` with the error ({@link writeFailedManifests}), for a backfill. Records settle
 * only when COPY answered: a lost answer means the COPY is run again (at least once, as in Firehose).
 */
export function copyStage(config: RedshiftConfig, staged: StagedRecords): Destination<CopyManifestRequest> {
  const failedManifests: ErrorOutput<FailedManifestsRequest> = {
    name: 'Redshift',
    buildFailures: (failures, errorOutputType, context) => buildFailedManifests(config, failures, errorOutputType, context),
    send: (request, attempt) => sendFailedManifests(config, request, attempt),
  };
  return {
    name: 'Redshift',
    errorOutputType: 'redshift-failed',
    retryDurationMs: config.retryDurationMs,
    errorOutput: failedManifests,
    failureFields(record) {
      const where = typeof record === 'object' && record !== null ? staged.get(record) : undefined;
      return where === undefined ? {} : { manifest: where.manifestUrl, stagedObjects: where.objectUrls };
    },
    build(batch, { previousLocation }) {
      if (previousLocation === undefined || !previousLocation.startsWith('s3://'))
        throw new DeliveryError('Redshift.NoManifest', `stage 1 named no manifest (got ${String(previousLocation)})`, {
          kind: 'permanent',
        });
      const sql = `${config.copyHead}${sqlLiteral(previousLocation)}${config.copyTail}`;
      return { request: { ids: [previousLocation], items: batch.map((_r, i) => i), bytes: Buffer.byteLength(sql), sql } };
    },
    async send(request, attempt) {
      const { signal } = attempt;
      signal.throwIfAborted();
      if (config.dataApi !== undefined) {
        const id = await copyThroughDataApi(config.dataApi, request.sql, attempt);
        return { status: 'accepted', location: `${request.ids[0]} → ${config.table} (statement ${id})` };
      }
      let client;
      try {
        client = await config.pool!.connect();
      } catch (err) {
        throw new DeliveryError(redshiftErrorCode(err), messageOf(err), { cause: err });
      }
      if (signal.aborted) {
        client.release(true);
        throw signal.reason;
      }
      const onAbort = (): void => client.release(new Error('aborted: the pipeline was unsubscribed'));
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await client.query(request.sql);
        client.release();
        return { status: 'accepted', location: `${request.ids[0]} → ${config.table}` };
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        client.release(err instanceof Error ? err : true);
        throw new DeliveryError(redshiftErrorCode(err), messageOf(err), { cause: err });
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
