/** What stands in for the access key wherever a message would show it. */
export const ACCESS_KEY_SHOWN_AS = '(access key)';

/**
 * The spellings of an access key that an endpoint may send back: as is, JSON-escaped (`\"`, `\\`, and `\/`
 * as some encoders write it), and URL-encoded (`encodeURIComponent`'s and a form's, upper or lower case hex).
 * Longest first, so that a spelling containing a shorter one is replaced whole. `\u`-escapes are not
 * among them: {@link redactResponseText} finds those by parsing.
 */
export function accessKeySpellings(accessKey: string): readonly string[] {
  const json = JSON.stringify(accessKey).slice(1, -1);
  const uri = encodeURIComponent(accessKey);
  const form = new URLSearchParams({ k: accessKey }).toString().slice(2);
  const lowerHex = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  const spellings = new Set([accessKey, json, json.replaceAll('/', '\\/'), uri, lowerHex(uri), form, lowerHex(form)]);
  return [...spellings].sort((a, b) => b.length - a.length);
}

/** `text` with every spelling of the access key replaced by `(access key)` (or `shownAs`). Run it before cutting text short. */
export function scrubText(text: string, spellings: readonly string[], shownAs = ACCESS_KEY_SHOWN_AS): string {
  let out = text;
  for (const s of spellings) if (out.includes(s)) out = out.split(s).join(shownAs);
  return out;
}

/**
 * A response body (or any text an endpoint sent) made fit to quote: {@link scrubText}, and when it is JSON
 * that still holds the key once parsed (written with `\u` escapes), its re-serialized, scrubbed form instead.
 */
export function redactResponseText(text: string, spellings: readonly string[], shownAs = ACCESS_KEY_SHOWN_AS): string {
  if (spellings.length === 0) return text;
  const scrubbed = scrubText(text, spellings, shownAs);
  let normalized: string;
  try {
    normalized = JSON.stringify(JSON.parse(text));
  } catch {
    return scrubbed;
  }
  const clean = scrubText(normalized, spellings, shownAs);
  return clean === normalized ? scrubbed : clean;
}
