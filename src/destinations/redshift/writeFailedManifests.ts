import { Buffer } from 'node:buffer';
import type { BuildContext, BuiltRequest, DeliveryAttempt, DeliveryRequest, FailureRecord, SendOutcome } from '../Destination.js';
import { buildFailureObject } from '../objectStore/buildFailureObject.js';
import { seededRandomStrings } from '../objectStore/seededNames.js';
import { putObject } from '../s3/service.js';
import { manifestOf } from './manifest.js';
import type { RedshiftConfig } from './options.js';

/** A built write of the COPY stage's error output: the objects to store, keys and bodies. */
export interface FailedManifestsRequest extends DeliveryRequest {
  readonly objects: ReadonlyArray<{ readonly key: string; readonly body: Uint8Array }>;
}

/**
 * The COPY stage's error output, built once (a retry stores the very same objects again). For each manifest whose COPY finally failed: the manifest, as it was
 * staged, at `<prefix>errors/manifests/<yyyy/MM/dd/HH>/<name>` (load it with the same COPY for a
 * backfill), and beside it `<name>.error.json` with the last error (`errorCode`, `errorMessage`,
 * `attemptsMade`, `attemptEndingTimestamp`, `records`). The data stays where it was staged. Records that
 * were never staged as objects (a value that is not an object cannot be looked up) are written as
 * Firehose failure records under `<prefix>errors/…` instead: nothing is dropped.
 */
export async function buildFailedManifests(
  config: RedshiftConfig,
  failures: readonly FailureRecord[],
  errorOutputType: string,
  { batchId, scheduler }: BuildContext,
): Promise<BuiltRequest<FailedManifestsRequest>> {
  const { errors } = config;
  const byManifest = new Map<string, { objects: readonly string[]; failures: FailureRecord[] }>();
  const loose: FailureRecord[] = [];
  for (const f of failures) {
    const manifest = f['manifest'];
    const objects = f['stagedObjects'];
    if (typeof manifest !== 'string' || !Array.isArray(objects)) {
      loose.push(f);
      continue;
    }
    const group = byManifest.get(manifest);
    if (group === undefined) byManifest.set(manifest, { objects: objects as string[], failures: [f] });
    else group.failures.push(f);
  }
  const objects: Array<{ key: string; body: Uint8Array }> = [];
  for (const [manifest, group] of byManifest) {
    const oldest = Math.min(...group.failures.map((f) => f.arrivalTimestamp));
    const name = manifest.slice(manifest.lastIndexOf('/') + 1);
    const key = errors.keys.prefixFor({ arrivalMs: oldest, random: seededRandomStrings(`${manifest}/errors`) }) + name;
    const last = group.failures[group.failures.length - 1]!;
    const error = {
      manifest,
      errorCode: last.errorCode,
      errorMessage: last.errorMessage,
      attemptsMade: last.attemptsMade,
      attemptEndingTimestamp: last.attemptEndingTimestamp,
      records: group.failures.length,
    };
    objects.push({ key, body: Buffer.from(manifestOf(group.objects), 'utf8') });
    objects.push({ key: `${key}.error.json`, body: Buffer.from(`${JSON.stringify(error)}\n`, 'utf8') });
  }
  if (loose.length > 0) {
    const { key, body } = await buildFailureObject(loose, errorOutputType, errors, batchId, scheduler.now());
    objects.push({ key, body });
  }
  let bytes = 0;
  for (const o of objects) bytes += o.body.byteLength;
  return { request: { ids: objects.map((o) => o.key), items: failures.map((_f, i) => i), bytes, objects } };
}

/** Stores the objects of a built {@link FailedManifestsRequest} in the staging bucket; where they went. */
export async function sendFailedManifests(
  config: RedshiftConfig,
  request: FailedManifestsRequest,
  { signal, scheduler }: DeliveryAttempt,
): Promise<SendOutcome<FailedManifestsRequest>> {
  const locations: string[] = [];
  for (const { key, body } of request.objects) {
    const location = await putObject(config.staging, key, body, signal, scheduler);
    // The error JSON lies beside its manifest: name the manifest only.
    if (!key.endsWith('.error.json')) locations.push(location);
  }
  return { status: 'accepted', location: locations.join(' ') };
}
