import { checkCompression } from './checkCompression.js';

/**
 * How Firehose compresses each S3 object: the values of the Firehose API's `CompressionFormat`,
 * spelled exactly as the API spells them (`Snappy` is mixed case there too).
 *
 * - `UNCOMPRESSED` (the default): the records' data, concatenated.
 * - `GZIP`: one gzip member (RFC 1952).
 * - `ZIP`: a ZIP archive with a single deflated entry.
 * - `Snappy`: the Snappy *framing* format (google/snappy `framing_format.txt`): a stream
 *   identifier, then chunks of at most 65 536 uncompressed bytes, each with the masked CRC-32C of
 *   its uncompressed data.
 * - `HADOOP_SNAPPY`: Hadoop's `SnappyCodec` block format (`BlockCompressorStream`), readable by
 *   Hadoop, Hive, Spark and Athena's Hadoop-compatible readers.
 *
 * ## Example
 * ```ts
 * import { compress, type Compression } from 'rx-firehose';
 * const compression: Compression = 'HADOOP_SNAPPY';
 * const body = await compress(compression, [new TextEncoder().encode('{"a":1}\n')]);
 * ```
 */
export type Compression = 'UNCOMPRESSED' | 'GZIP' | 'ZIP' | 'Snappy' | 'HADOOP_SNAPPY';

/**
 * Every {@link Compression}, in the order the Firehose API lists them (a frozen array).
 *
 * Handy to validate configuration or to build a choice list.
 *
 * ## Example
 * ```ts
 * import { COMPRESSIONS, type Compression } from 'rx-firehose';
 * const wanted = process.env.COMPRESSION ?? 'UNCOMPRESSED';
 * if (!(COMPRESSIONS as readonly string[]).includes(wanted)) throw new Error(`COMPRESSION must be one of ${COMPRESSIONS.join(', ')}`);
 * const compression = wanted as Compression;
 * ```
 */
export const COMPRESSIONS: readonly Compression[] = Object.freeze(['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'] as const);

// Firehose's default file extensions (developer guide, "Configure Amazon S3 object name format").
// Note that Hadoop-Snappy gets `.hsnappy`, not Hadoop's own `.snappy`: the two Snappy formats are
// not interchangeable, and the distinct extension keeps readers from guessing wrong.
const EXTENSIONS: Readonly<Record<Compression, string>> = Object.freeze({
  UNCOMPRESSED: '',
  GZIP: '.gz',
  ZIP: '.zip',
  Snappy: '.snappy',
  HADOOP_SNAPPY: '.hsnappy',
});

// There is deliberately no `contentEncodingOf`. Firehose documents no Content-Encoding for its
// objects (the extension is its only signal), and `Content-Encoding: gzip` would be wrong for what
// these objects are: files whose bytes *are* gzip, not a transfer detail. With that header, HTTP
// clients (browsers, curl --compressed, some SDK HTTP stacks, CloudFront with compression) inflate
// the body on GET, so whoever downloads `x.gz` may silently get plain text under a `.gz` name, and
// the next tool to gunzip it fails. Readers (Athena, Glue, Spark, Hadoop) pick the codec from the
// extension, which is all the signal an object needs; and ZIP/Snappy have no registered encoding.

/**
 * The file extension Firehose appends to an S3 object's key for a {@link Compression}, with its
 * leading dot, or `''` for `UNCOMPRESSED`.
 *
 * These are Firehose's defaults: `.gz`, `.zip`, `.snappy` for the Snappy framing format and
 * `.hsnappy` for Hadoop-compatible Snappy. (Firehose lets a delivery stream override the extension
 * with its `FileExtension` setting; that choice belongs to the caller.) Anything that is not a
 * {@link Compression} throws an `InvalidOptionError` naming the allowed values.
 *
 * ## Example
 * ```ts
 * import { extensionOf } from 'rx-firehose';
 * const key = `2024/05/01/12/stream-1-2024-05-01-12-00-00-${id}${extensionOf('GZIP')}`; // …-<id>.gz
 * extensionOf('HADOOP_SNAPPY'); // '.hsnappy'
 * extensionOf('UNCOMPRESSED');  // ''
 * ```
 */
export function extensionOf(compression: Compression): string {
  return EXTENSIONS[checkCompression('extensionOf', 'compression', compression)];
}
