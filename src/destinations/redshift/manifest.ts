/** The body of a Redshift COPY manifest: every staged object, mandatory. */
export function manifestOf(urls: readonly string[]): string {
  return JSON.stringify({ entries: urls.map((url) => ({ url, mandatory: true })) });
}
