import { Buffer } from 'node:buffer';
import { FormatConversionError } from './FormatConversionError.js';
import type { HiveType } from './hiveType.js';
import type { TimestampParser } from './timestampFormat.js';

/**
 * Converts one JSON value (never `null`) to what the Parquet writer takes for its column; `field` names
 * where the value is (`route.from`, `tags[2]`), for the message when it does not fit.
 */
export type ValueConverter = (value: unknown, field: string) => unknown;

const INT_RANGES = {
  tinyint: [-128, 127],
  smallint: [-32_768, 32_767],
  int: [-(2 ** 31), 2 ** 31 - 1],
} as const;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;
const DAY_MS = 86_400_000;
const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const INTEGER = /^\s*[-+]?\d+\s*$/;
const DECIMAL = /^\s*([-+])?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$/;
/** `yyyy-MM-dd HH:mm:ss[.fff…]` (Hive's timestamp text) or ISO 8601 with `T`, optionally with a zone. */
const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE_TEXT = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/;
/** Standard base64 (RFC 4648 §4), padding optional. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * The converter of a column type, compiled once per schema: values are converted where nothing is lost
 * (`"42"` into an `int`, `42` into a `string`) and refused otherwise with a `DataFormatConversion.SchemaMismatch`
 * {@link FormatConversionError} naming the field and the value. Nested values: an `array<T>` takes a JSON
 * array, a `map<K,V>` and a `struct<…>` a JSON object (a struct's fields matched by name like the columns,
 * ignoring case when `caseInsensitive`); `null` is allowed at every level. A timestamp is read by the first
 * of `timestampParsers` (`HiveJsonSerDe`'s `TimestampFormats`) that reads it, else by the default rules.
 */
export function valueConverter(
  type: HiveType,
  caseInsensitive: boolean,
  timestampParsers: readonly TimestampParser[] = [],
): ValueConverter {
  const name = typeName(type);
  const refuse = (value: unknown, field: string): never => {
    throw new FormatConversionError(
      'DataFormatConversion.SchemaMismatch',
      `field ${JSON.stringify(field)}: ${JSON.stringify(value)?.slice(0, 100)} is not a ${name}`,
    );
  };
  switch (type.kind) {
    case 'string':
      return (value) => {
        if (typeof value === 'string') return value;
        if (typeof value === 'number' || typeof value === 'boolean') return String(value);
        return JSON.stringify(value); // an object or array: its JSON text
      };
    case 'boolean':
      return (value, field) => {
        if (typeof value === 'boolean') return value;
        if (value === 'true' || value === 'false') return value === 'true';
        return refuse(value, field);
      };
    case 'tinyint':
    case 'smallint':
    case 'int': {
      const [min, max] = INT_RANGES[type.kind];
      return (value, field) => {
        const n = typeof value === 'string' && INTEGER.test(value) ? Number(value) : value;
        if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
        return refuse(value, field);
      };
    }
    case 'bigint':
      return (value, field) => {
        let n: bigint | undefined;
        if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
        else if (typeof value === 'string' && INTEGER.test(value)) n = BigInt(value.trim());
        if (n !== undefined && n >= INT64_MIN && n <= INT64_MAX) return n;
        return refuse(value, field);
      };
    case 'float':
    case 'double': {
      const max = type.kind === 'float' ? FLOAT_MAX : Number.MAX_VALUE;
      return (value, field) => {
        const n = typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;
        if (typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= max) return n;
        return refuse(value, field);
      };
    }
    case 'decimal': {
      const { precision, scale } = type;
      const limit = 10n ** BigInt(precision);
      return (value, field) => {
        const unscaled = unscaledDecimal(value, scale);
        if (unscaled !== undefined && unscaled < limit && unscaled > -limit) return unscaled;
        return refuse(value, field);
      };
    }
    case 'timestamp':
      return (value, field) => {
        for (const parse of timestampParsers) {
          const ms = parse(value);
          if (ms !== undefined) return ms;
        }
        if (typeof value === 'number' && Number.isSafeInteger(value)) return value; // epoch milliseconds
        const ms = typeof value === 'string' ? timestampMs(value) : undefined;
        return ms ?? refuse(value, field);
      };
    case 'date':
      return (value, field) => {
        const m = typeof value === 'string' ? DATE_TEXT.exec(value) : null;
        const ms = m === null ? undefined : utcMs(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0, 0);
        return ms === undefined ? refuse(value, field) : ms / DAY_MS; // days since the epoch
      };
    case 'binary':
      return (value, field) => {
        if (typeof value !== 'string' || !BASE64.test(value)) return refuse(value, field);
        const bytes = Buffer.from(value, 'base64');
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      };
    case 'array': {
      const element = valueConverter(type.element, caseInsensitive, timestampParsers);
      return (value, field) => {
        if (!Array.isArray(value)) return refuse(value, field);
        return value.map((v, i) => (v === null ? null : element(v, `${field}[${i}]`)));
      };
    }
    case 'map': {
      const key = valueConverter(type.key, caseInsensitive, timestampParsers);
      const val = valueConverter(type.value, caseInsensitive, timestampParsers);
      return (value, field) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse(value, field);
        return Object.entries(value).map(([k, v]) => ({
          key: key(k, `${field}.${k}`),
          value: v === null ? null : val(v, `${field}.${k}`),
        }));
      };
    }
    case 'struct': {
      const fields = type.fields.map((f) => ({ name: f.name, convert: valueConverter(f.type, caseInsensitive, timestampParsers) }));
      const index = new Map(fields.map((f, i) => [caseInsensitive ? f.name.toLowerCase() : f.name, i]));
      return (value, field) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse(value, field);
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = null;
        for (const [k, v] of Object.entries(value)) {
          const i = index.get(caseInsensitive ? k.toLowerCase() : k);
          if (i === undefined || v === null) continue;
          const f = fields[i]!;
          out[f.name] = f.convert(v, `${field}.${f.name}`);
        }
        return out;
      };
    }
  }
}

/** The Hive name of a type, for messages. */
function typeName(type: HiveType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'array':
      return `array<${typeName(type.element)}>`;
    case 'map':
      return `map<${typeName(type.key)},${typeName(type.value)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${typeName(f.type)}`).join(',')}>`;
    default:
      return type.kind;
  }
}

/**
 * The value of a JSON number or numeric text times 10^scale, exactly, or `undefined` when it is not a
 * number or has more fractional digits than `scale` (rounding would lose them).
 */
function unscaledDecimal(value: unknown, scale: number): bigint | undefined {
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? String(value) : undefined) : typeof value === 'string' ? value : undefined;
  const m = text === undefined ? null : DECIMAL.exec(text);
  if (m === null) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = m;
  if (whole === '' && fraction === '') return undefined;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return 0n;
  const shift = Number(exponent) - fraction.length + scale; // value × 10^scale = digits × 10^shift
  let unscaled: bigint;
  if (shift >= 0) {
    if (digits.length + shift > 40) return undefined; // beyond any precision (38)
    unscaled = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const kept = digits.length + shift;
    if (!/^0*$/.test(digits.slice(Math.max(kept, 0)))) return undefined; // digits below the scale
    unscaled = kept <= 0 ? 0n : BigInt(digits.slice(0, kept));
  }
  return sign === '-' ? -unscaled : unscaled;
}

/** Milliseconds since the epoch of Hive or ISO 8601 timestamp text (UTC unless it names an offset), or `undefined`. */
function timestampMs(text: string): number | undefined {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const ms = utcMs(
    Number(y),
    Number(mo),
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    fraction === undefined ? 0 : Math.floor(Number(fraction) * 1000),
  );
  if (ms === undefined) return undefined;
  if (zone === undefined || zone === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return ms - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/** Milliseconds since the epoch of a UTC date and time (month 1–12), or `undefined` when it does not exist (`2026-02-30`, `24:00`). */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number | undefined {
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0–99 as 1900–1999
  date.setUTCHours(hour, minute, second, ms);
  // Out-of-range days roll over (Feb 30 → Mar 2): refuse dates that do not exist.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.getTime();
}
