/** Whether `s` is standard base64 with padding (RFC 4648 §4), as Firehose encodes `data`. */
export function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const alphabet =
      (c >= 65 && c <= 90) || // A-Z
      (c >= 97 && c <= 122) || // a-z
      (c >= 48 && c <= 57) || // 0-9
      c === 43 || // +
      c === 47; // /
    if (alphabet) continue;
    // '=' only as padding: the last character, or the last two.
    if (c === 61 && (i === n - 1 || (i === n - 2 && s.charCodeAt(n - 1) === 61))) continue;
    return false;
  }
  return true;
}
