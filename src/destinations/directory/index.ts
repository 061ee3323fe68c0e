import type { Destination, ErrorOutput } from '../Destination.js';
import { objectStoreDestination, type ObjectStoreRequest } from '../objectStore/objectStoreDestination.js';
import { checkDirectoryOptions, type DirectoryDestinationOptions } from './options.js';
import { cleanUpDeadWriters } from './cleanUpDeadWriters.js';
import { writeObjectAtomically } from './service.js';

export type { DirectoryDestinationOptions } from './options.js';

/**
 * A local directory laid out exactly as Firehose lays out an S3 bucket: the embedded default destination,
 * no server needed.
 *
 * Each batch becomes one file per partition at `<path>/<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`
 * (default prefix `yyyy/MM/dd/HH/` in UTC from the oldest record's arrival), records concatenated as they
 * are (add a newline with `toRecords({ appendNewline: true })`), compressed as configured. Files appear
 * atomically (written aside, then renamed), and are flushed to disk first unless `fsync: false`. Every
 * retry of a batch writes the same file name, so a retry never leaves a duplicate.
 *
 * It is an error output too: failure records go, as JSON lines, to `<errorOutputPrefix>` or
 * `<prefix><error-output-type>/yyyy/MM/dd/HH/`.
 *
 * ## Example
 * ```ts
 * import { directoryDestination, toRecords } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const out = directoryDestination({ path: './firehose-out', streamName: 'clicks', compression: 'GZIP' });
 * clicks$.pipe(toRecords({ appendNewline: true }), bufferBySizeOrTime(), deliverTo(out, { errorOutput: out }));
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option (path, prefix rules, compression, …).
 */
// The type parameter is kept for source compatibility; the record type comes from the pipeline's source.
export function directoryDestination<_T = unknown>(
  options: DirectoryDestinationOptions,
): Destination<ObjectStoreRequest> & ErrorOutput<ObjectStoreRequest> {
  const config = checkDirectoryOptions(options);
  // Before the first write: temporary files that writers killed mid-write left behind.
  let cleaned: Promise<unknown> | undefined;
  return objectStoreDestination('Directory', config, async (key, body, signal) => {
    await (cleaned ??= cleanUpDeadWriters(config.root).catch(() => undefined));
    return writeObjectAtomically(config.root, key, body, config.fsync, signal);
  });
}
