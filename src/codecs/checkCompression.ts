import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { Compression } from './compression.js';

const ALLOWED: ReadonlySet<unknown> = new Set<Compression>(['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY']);

/**
 * Returns `value` when it is a {@link Compression}; otherwise throws {@link InvalidOptionError} naming
 * the component, the option and the allowed values (JavaScript callers and configuration files are
 * not type-checked, and `'SNAPPY'` or `'gzip'` are easy mistakes).
 */
export function checkCompression(component: string, option: string, value: unknown): Compression {
  if (ALLOWED.has(value)) return value as Compression;
  throw new InvalidOptionError(component, option, value, "one of 'UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'");
}
