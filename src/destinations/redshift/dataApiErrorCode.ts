import { networkErrorKind } from '../networkErrorKind.js';

/** Redshift's messages of a failed statement (the Data API gives no SQLSTATE), in Firehose's words; the first match wins. */
const BY_MESSAGE: ReadonlyArray<readonly [RegExp, string]> = [
  [/column "[^"]*" of relation "[^"]*" does not exist/i, 'ColumnNotFound'],
  [/relation "[^"]*" does not exist/i, 'TableNotFound'],
  [/database "[^"]*" does not exist/i, 'DatabaseNotFound'],
  [/syntax error/i, 'SyntaxError'],
  [/permission denied|not authorized|access denied/i, 'AccessDenied'],
  [/authentication failed/i, 'AuthenticationFailed'],
  [/load into table '[^']*' failed|invalid input syntax|violates/i, 'DataLoadFailed'],
  [/read-only/i, 'ReadOnlyCluster'],
  [/disk full/i, 'DiskFull'],
];

/**
 * The error code of a COPY that failed through the Redshift Data API, in the same words as over a
 * connection ({@link redshiftErrorCode}): from the `Error` of a `FAILED` statement (`Redshift.TableNotFound`,
 * `.ColumnNotFound`, `.DataLoadFailed`, …, else `Redshift.StatementFailed`), or from an exception of the
 * API itself (`Redshift.ActiveStatementsExceededException`, `Redshift.ValidationException`, …; a request
 * that got no answer is `Redshift.ConnectionFailed` or `.ConnectionReset`).
 */
export function dataApiErrorCode(failure: { readonly statementError: string } | { readonly exception: unknown }): string {
  if ('statementError' in failure) {
    for (const [pattern, code] of BY_MESSAGE) if (pattern.test(failure.statementError)) return `Redshift.${code}`;
    return 'Redshift.StatementFailed';
  }
  const err = failure.exception as { name?: unknown; code?: unknown; $metadata?: unknown };
  if (typeof err.code === 'string' && err.$metadata === undefined) {
    const network = networkErrorKind(err.code);
    return `Redshift.${network === 'ConnectionReset' ? 'ConnectionReset' : 'ConnectionFailed'}`;
  }
  return `Redshift.${typeof err.name === 'string' && err.name !== 'Error' ? err.name : 'DataApiError'}`;
}
