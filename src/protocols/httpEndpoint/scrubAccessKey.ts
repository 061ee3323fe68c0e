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
 * A response body (or any text an endpoint sent) made fit to quote, whatever its format: {@link scrubText};
 * and when the text still holds the key once its escapes are undone (JSON or JavaScript `\u`/`\x` escapes,
 * HTML character references, percent-encoding, in any mix, in JSON or not), that decoded form, scrubbed,
 * instead.
 */
export function redactResponseText(text: string, spellings: readonly string[], shownAs = ACCESS_KEY_SHOWN_AS): string {
  if (spellings.length === 0) return text;
  const scrubbed = scrubText(text, spellings, shownAs);
  // Undo one kind of escape at a time, scrubbing after each, so a copy decoded by one step is replaced before
  // the next could alter it; a few rounds cover escapes of escapes (e.g. a %-encoded \u0041).
  let decoded = scrubbed;
  let found = false;
  for (let round = 0; round < 4; round++) {
    const before = decoded;
    for (const step of UNESCAPE_STEPS) {
      const next = step(decoded);
      if (next === decoded) continue;
      decoded = scrubText(next, spellings, shownAs);
      if (decoded !== next) found = true;
    }
    if (decoded === before) break;
  }
  return found ? decoded : scrubbed;
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '0': '\0' };

/** Each common kind of escape, undone. */
const UNESCAPE_STEPS: ReadonlyArray<(text: string) => string> = [
  (t) => t.replace(/\\u\{([0-9a-fA-F]{1,6})\}/g, (m, hex: string) => fromCodePoint(parseInt(hex, 16), m)),
  (t) => t.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  (t) => t.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  (t) => t.replace(/&#[xX]([0-9a-fA-F]{1,6});?/g, (m, hex: string) => fromCodePoint(parseInt(hex, 16), m)),
  (t) => t.replace(/&#([0-9]{1,7});?/g, (m, dec: string) => fromCodePoint(parseInt(dec, 10), m)),
  (t) => t.replace(/&(quot|amp|lt|gt|apos|sol|bsol|percnt|num);/g, (_, name: string) => HTML_NAMED[name]!),
  (t) => t.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  (t) => t.replace(/\+/g, ' '),
  (t) => t.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c),
];

const HTML_NAMED: Readonly<Record<string, string>> = {
  quot: '"',
  amp: '&',
  lt: '<',
  gt: '>',
  apos: "'",
  sol: '/',
  bsol: '\\',
  percnt: '%',
  num: '#',
};

function fromCodePoint(code: number, original: string): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : original;
}
