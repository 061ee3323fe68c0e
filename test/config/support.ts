import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { from, type Observable } from 'rxjs';
import { afterEach, beforeEach, expect } from 'vitest';
import { deliveryStreamFromConfig, InvalidConfigurationError, toRecords, type FirehoseRecord } from '../../src/index.js';

/** A fresh data directory per test, removed after it. */
export function useDataDir(): { readonly path: string } {
  const dir = { path: '' };
  beforeEach(async () => {
    dir.path = await mkdtemp(join(tmpdir(), 'rx-firehose-config-'));
  });
  afterEach(async () => {
    await rm(dir.path, { recursive: true, force: true });
  });
  return dir;
}

/** Every file under `root` (hidden temporary files excluded), by path relative to it. */
export async function filesUnder(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isFile() && !e.name.startsWith('.'))
      out.set(relative(root, join(e.parentPath, e.name)), await readFile(join(e.parentPath, e.name)));
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** The text of files, gunzipped when their name ends in .gz, concatenated in key order. */
export function textOf(files: Map<string, Buffer>): string {
  return [...files].map(([key, body]) => (key.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8')).join('');
}

/** Lines as records, as a Direct PUT producer would send them. */
export function recordsOf(lines: readonly string[]): Observable<FirehoseRecord> {
  return from(lines).pipe(toRecords());
}

/** A minimal extended S3 configuration writing to bucket `lake`. */
export function s3Config(extra: Record<string, unknown> = {}, name = 'clicks'): any {
  return {
    DeliveryStreamName: name,
    ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::lake', ...extra },
  };
}

/** The error `deliveryStreamFromConfig` refuses `input` with (it fails the test when it accepts it). */
export function refused(input: unknown): InvalidConfigurationError {
  try {
    deliveryStreamFromConfig(input as never, { dataDir: '/nonexistent' });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigurationError);
    return err as InvalidConfigurationError;
  }
  throw new Error('expected the configuration to be refused');
}
