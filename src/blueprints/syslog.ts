// Firehose data-transformation blueprints for syslog: self-contained (only type imports), so this file,
// compiled, is a Lambda function as it is. Handlers: `syslogToJson`, `syslogToCsv`.
import { Buffer } from 'node:buffer';
import type { BlueprintEvent, BlueprintResult } from './BlueprintTypes.js';

/** One syslog message, parsed (RFC 5424 or RFC 3164); fields a format does not have are `null`. */
export interface SyslogEntry {
  /** `5424` or `3164`. */
  format: 5424 | 3164;
  /** PRI: facility × 8 + severity; `null` for an RFC 3164 line logged without it. */
  priority: number | null;
  facility: number | null;
  severity: number | null;
  /** As written: RFC 3339 for RFC 5424 (`null` for `-`), `Mmm dd hh:mm:ss` for RFC 3164. */
  timestamp: string | null;
  hostname: string | null;
  /** APP-NAME (RFC 5424) or TAG (RFC 3164). */
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  /** RFC 5424's STRUCTURED-DATA: SD-ID → parameter → value (`null` for `-`). */
  structuredData: Record<string, Record<string, string>> | null;
  message: string;
}

const NIL = (s: string) => (s === '-' ? null : s);
const SD_ELEMENT = /\[([^\s=\]"]+)((?: [^\s=\]"]+="(?:[^"\\]|\\.)*")*)\]/y;
const SD_PARAM = / ([^\s=\]"]+)="((?:[^"\\]|\\.)*)"/g;
const RFC5424 = /^<(\d{1,3})>([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /;
const RFC3164 =
  /^(?:<(\d{1,3})>)?((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d \d{2}:\d{2}:\d{2}) (\S+) (?:([^\s:[\]]{1,48})(?:\[([^\]\s]+)\])?: ?)?(.*)$/s;
const TIMESTAMP_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const CSV_FIELDS = [
  'format',
  'priority',
  'facility',
  'severity',
  'timestamp',
  'hostname',
  'appName',
  'procId',
  'msgId',
  'structuredData',
  'message',
] as const;

/** Parses one syslog line as RFC 5424 (`<PRI>1 …`), else as RFC 3164 (`[<PRI>]Mmm dd hh:mm:ss host tag[pid]: msg`); `undefined` if it is neither. */
export function parseSyslogLine(line: string): SyslogEntry | undefined {
  const text = line.replace(/\r?\n$/, '');
  return parse5424(text) ?? parse3164(text);
}

function pri(value: string | undefined): { priority: number | null; facility: number | null; severity: number | null } | undefined {
  if (value === undefined) return { priority: null, facility: null, severity: null };
  const priority = Number(value);
  if (priority > 191 || (value.length > 1 && value.startsWith('0'))) return undefined;
  return { priority, facility: priority >> 3, severity: priority & 7 };
}

function parse5424(text: string): SyslogEntry | undefined {
  const m = RFC5424.exec(text);
  if (m === null) return undefined;
  const p = pri(m[1]);
  if (p === undefined || (m[3] !== '-' && !TIMESTAMP_3339.test(m[3]!))) return undefined;
  let at = m[0].length;
  let structuredData: Record<string, Record<string, string>> | null = null;
  if (text[at] === '-') at += 1;
  else {
    structuredData = {};
    SD_ELEMENT.lastIndex = at;
    let element: RegExpExecArray | null;
    while ((element = SD_ELEMENT.exec(text)) !== null) {
      const params: Record<string, string> = {};
      for (const [, name, value] of element[2]!.matchAll(SD_PARAM)) params[name!] = value!.replace(/\\([\\"\]])/g, '$1');
      structuredData[element[1]!] = params;
      at = SD_ELEMENT.lastIndex;
    }
    if (Object.keys(structuredData).length === 0) return undefined;
  }
  if (at < text.length && text[at] !== ' ') return undefined;
  const message = text.slice(at + 1).replace(/^\uFEFF/, '');
  return {
    format: 5424,
    ...p,
    timestamp: NIL(m[3]!),
    hostname: NIL(m[4]!),
    appName: NIL(m[5]!),
    procId: NIL(m[6]!),
    msgId: NIL(m[7]!),
    structuredData,
    message,
  };
}

function parse3164(text: string): SyslogEntry | undefined {
  const m = RFC3164.exec(text);
  if (m === null) return undefined;
  const p = pri(m[1]);
  if (p === undefined) return undefined;
  return {
    format: 3164,
    ...p,
    timestamp: m[2]!,
    hostname: m[3]!,
    appName: m[4] ?? null,
    procId: m[5] ?? null,
    msgId: null,
    structuredData: null,
    message: m[6]!,
  };
}

/**
 * Syslog line (RFC 5424 or RFC 3164) → one JSON object of its fields ({@link SyslogEntry}) and a newline.
 * A record that is neither is `ProcessingFailed` (and reaches the error output unchanged).
 *
 * ## Example
 * ```ts
 * import { syslogToJson } from 'rx-firehose/blueprints';
 * import { transformWithLambda } from 'rx-firehose/operators';
 *
 * syslog$.pipe(transformWithLambda(syslogToJson));
 * ```
 */
export async function syslogToJson(event: BlueprintEvent): Promise<BlueprintResult> {
  return eachLine(event, (entry) => `${JSON.stringify(entry)}\n`);
}

/**
 * Syslog line → one CSV row (RFC 4180) and a newline:
 * `format,priority,facility,severity,timestamp,hostname,appName,procId,msgId,structuredData,message`, a
 * missing value an empty field, the structured data as JSON text. Neither format → `ProcessingFailed`.
 */
export async function syslogToCsv(event: BlueprintEvent): Promise<BlueprintResult> {
  return eachLine(
    event,
    (entry) => `${CSV_FIELDS.map((f) => csvField(f === 'structuredData' ? JSONOrNull(entry.structuredData) : entry[f])).join(',')}\n`,
  );
}

function JSONOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

function eachLine(event: BlueprintEvent, format: (entry: SyslogEntry) => string): BlueprintResult {
  return {
    records: event.records.map(({ recordId, data }) => {
      const entry = parseSyslogLine(Buffer.from(data, 'base64').toString('utf8'));
      if (entry === undefined) return { recordId, result: 'ProcessingFailed' as const, data };
      return { recordId, result: 'Ok' as const, data: Buffer.from(format(entry), 'utf8').toString('base64') };
    }),
  };
}

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
