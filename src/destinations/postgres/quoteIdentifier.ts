/**
 * A table or column name as SQL: each dot-separated part double-quoted (`public.events` →
 * `"public"."events"`), inner double quotes doubled. Names are taken as written: PostgreSQL folds
 * unquoted names to lower case, so pass them in the case the table was created with.
 */
export function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}
