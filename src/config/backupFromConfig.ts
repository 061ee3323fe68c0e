import type { OperatorFunction } from 'rxjs';
import { teeBackup } from '../../operators/teeBackup.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { ConfigContext } from './ConfigContext.js';
import { BACKUP_BUFFERING } from './ranges.js';
import { s3DestinationFromConfig } from './s3DestinationFromConfig.js';

/** A mapped source record backup: the operator and where it writes. */
export interface BackupPlan {
  readonly operator: OperatorFunction<FirehoseRecord, FirehoseRecord>;
  readonly location: string;
}

/**
 * Maps a source record backup bucket (an `S3DestinationConfiguration`) to `teeBackup`: every untransformed
 * record also goes to that bucket, with its own buffer (1–128 MiB, 60–900 s; default 5 MiB, 300 s), its own
 * prefix and compression, and its own error output (the same bucket).
 *
 * ## Example
 * ```ts
 * const backup = backupFromConfig(config.S3BackupConfiguration, 'ExtendedS3DestinationConfiguration.S3BackupConfiguration', ctx);
 * records$.pipe(backup.operator, transform, bufferBySizeOrTime(), deliverTo(lake));
 * ```
 */
export function backupFromConfig(config: unknown, path: string, ctx: ConfigContext): BackupPlan {
  const bucket = s3DestinationFromConfig(config, path, ctx, BACKUP_BUFFERING);
  ctx.holdsBytes(bucket.buffering.maxBytes);
  const operator = teeBackup<FirehoseRecord>(bucket.destination, {
    ...bucket.buffering,
    errorOutput: ctx.counted(bucket.destination),
    onResult: (result) => ctx.onBackupResult(result),
    ...(ctx.scheduler === undefined ? {} : { scheduler: ctx.scheduler }),
    ...(ctx.metrics === undefined ? {} : { metrics: ctx.metrics }),
  });
  return { operator, location: bucket.location };
}
