import { networkErrorKind } from '../networkErrorKind.js';

/** SQLSTATEs (or their classes) in Firehose's words for Redshift. */
const BY_STATE: Readonly<Record<string, string>> = {
  '42P01': 'TableNotFound',
  '42703': 'ColumnNotFound',
  '42601': 'SyntaxError',
  '42501': 'AccessDenied',
  '3D000': 'DatabaseNotFound',
  '25006': 'ReadOnlyCluster',
  '53100': 'DiskFull',
};
const BY_CLASS: Readonly<Record<string, string>> = {
  '22': 'DataLoadFailed',
  '23': 'DataLoadFailed',
  '28': 'AuthenticationFailed',
  '08': 'ConnectionFailed',
};

/**
 * The error code of a failed COPY, as Firehose names them (`Redshift.TableNotFound`, `.ColumnNotFound`,
 * `.SyntaxError`, `.AccessDenied`, `.AuthenticationFailed`, `.DataLoadFailed`, `.ConnectionFailed`, …), from
 * the database's SQLSTATE or Node's network error code; `Redshift.<SQLSTATE>` for the others.
 */
export function redshiftErrorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return 'Redshift.Error';
  if (/^[0-9A-Z]{5}$/.test(code)) return `Redshift.${BY_STATE[code] ?? BY_CLASS[code.slice(0, 2)] ?? code}`;
  const network = networkErrorKind(code);
  return `Redshift.${network === 'ConnectionReset' ? 'ConnectionReset' : 'ConnectionFailed'}`;
}
