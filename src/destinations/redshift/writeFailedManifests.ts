import { Buffer } from 'node:buffer';
import type { DeliveryAttempt, DeliveryAck, FailureRecord } from '../Destination.js';
import { buildFailureObject } from '../objectStore/buildFailureObject.js';
import { seededRandomStrings } from '../objectStore/seededNames.js';
import { putObject } from '../s3/service.js';
import { manifestOf } from './manifest.js';
import type { RedshiftConfig } from './options.js';

/**
 * The COPY stage's error output. For each manifest whose COPY finally failed: the manifest, as it was
 * staged, at `<prefix>errors/manifests/<yyyy/MM/dd/HH>/<name>` (load it with the same COPY for a
 * backfill), and beside it `<name>.error.json` with the last error (`errorCode`, `errorMessage`,
 * `attemptsMade`, `attemptEndingTimestamp`, `records`). The data stays where it was staged. Records that
 * were never staged as objects (a value that is not an object cannot be looked up) are written as
 * Firehose failure records under `<prefix>errors/…` instead: nothing is dropped.
 */
export async function writeFailedManifests(
  config: RedshiftConfig,
  failures: readonly FailureRecord[],
  errorOutputType: string,
  { batchId, scheduler, signal }: DeliveryAttempt,
): Promise<DeliveryAck> {
  const { staging, errors } = config;
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
  const locations: string[] = [];
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
    await putObject(staging, key, Buffer.from(manifestOf(group.objects), 'utf8'), signal, scheduler);
    await putObject(staging, `${key}.error.json`, Buffer.from(`${JSON.stringify(error)}\n`, 'utf8'), signal, scheduler);
    locations.push(`s3://${staging.bucket}/${key}`);
  }
  if (loose.length > 0) {
    const { key, body } = await buildFailureObject(loose, errorOutputType, errors, batchId, scheduler.now());
    locations.push(await putObject(staging, key, body, signal, scheduler));
  }
  return { location: locations.join(' ') };
}
