import { MAX_COMMON_ATTRIBUTE_NAME_CHARS, MAX_COMMON_ATTRIBUTE_VALUE_CHARS, MAX_COMMON_ATTRIBUTES } from './protocol.js';

/**
 * What is wrong with a common-attributes object, in words, or `undefined` when it follows the protocol's
 * schema: at most 50 entries, names of 1–256 characters, string values of 0–1024 characters.
 */
export function commonAttributesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of string values';
  const entries = Object.entries(value);
  if (entries.length > MAX_COMMON_ATTRIBUTES) return `has ${entries.length} entries; at most ${MAX_COMMON_ATTRIBUTES} are allowed`;
  for (const [name, v] of entries) {
    if (name.length < 1 || name.length > MAX_COMMON_ATTRIBUTE_NAME_CHARS) {
      return `has a name of ${name.length} characters; names have 1–${MAX_COMMON_ATTRIBUTE_NAME_CHARS}`;
    }
    if (typeof v !== 'string')
      return `has a value of type ${v === null ? 'null' : typeof v} for ${JSON.stringify(name)}; values are strings`;
    if (v.length > MAX_COMMON_ATTRIBUTE_VALUE_CHARS) {
      return `has a value of ${v.length} characters for ${JSON.stringify(name)}; values have at most ${MAX_COMMON_ATTRIBUTE_VALUE_CHARS}`;
    }
  }
  return undefined;
}
