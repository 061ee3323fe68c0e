// Firehose data-transformation blueprints for Apache access logs: self-contained (only type imports), so
// this file, compiled, is a Lambda function as it is. Handlers: `apacheLogToJson`, `apacheLogToCsv`.
import { Buffer } from 'node:buffer';
import type { BlueprintEvent, BlueprintResult } from './BlueprintTypes.js';

/** One access log line, parsed: the Common Log Format's fields, and the Combined format's referer and agent. */
export interface ApacheLogEntry {
  host: string;
  ident: string;
  authuser: string;
  /** As logged, e.g. `10/Oct/2000:13:55:36 -0700`. */
  date: string;
  request: string;
  status: number;
  /** Bytes sent; `null` for `-`. */
  size: number | null;
  /** `null` in the Common Log Format. */
  referer: string | null;
  /** `null` in the Common Log Format. */
  agent: string | null;
}

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(`^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}) (\\d+|-)(?: ${QUOTED} ${QUOTED})?$`);
const FIELDS = ['host', 'ident', 'authuser', 'date', 'request', 'status', 'size', 'referer', 'agent'] as const;

/**
 * Parses one line of an Apache access log in the Combined Log Format
 * (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`) or the Common Log Format (without the last
 * two). Returns `undefined` for anything else. Quoted fields keep Apache's escapes (`\"`) undone.
 */
export function parseApacheLogLine(line: string): ApacheLogEntry | undefined {
  const m = LINE.exec(line.replace(/\r?\n$/, ''));
  if (m === null) return undefined;
  const unescape = (s: string | undefined) => (s === undefined ? null : s.replace(/\\(.)/g, '$1'));
  return {
    host: m[1]!,
    ident: m[2]!,
    authuser: m[3]!,
    date: m[4]!,
    request: unescape(m[5])!,
    status: Number(m[6]),
    size: m[7] === '-' ? null : Number(m[7]),
    referer: unescape(m[8]),
    agent: unescape(m[9]),
  };
}

/**
 * Apache access log line → one JSON object and a newline:
 * `{"host","ident","authuser","date","request","status","size","referer","agent"}`. A record that is not
 * an access log line is `ProcessingFailed` (and reaches the error output unchanged).
 *
 * ## Example
 * ```ts
 * import { apacheLogToJson } from 'rx-firehose/blueprints';
 * import { transformWithLambda } from 'rx-firehose/operators';
 *
 * accessLog$.pipe(transformWithLambda(apacheLogToJson));
 * ```
 */
export async function apacheLogToJson(event: BlueprintEvent): Promise<BlueprintResult> {
  return eachLine(event, (entry) => `${JSON.stringify(entry)}\n`);
}

/**
 * Apache access log line → one CSV row (RFC 4180, fields quoted when they hold a comma, a quote or a line
 * break) and a newline, in the order `host,ident,authuser,date,request,status,size,referer,agent`; a
 * missing value is an empty field. A record that is not an access log line is `ProcessingFailed`.
 */
export async function apacheLogToCsv(event: BlueprintEvent): Promise<BlueprintResult> {
  return eachLine(event, (entry) => `${FIELDS.map((f) => csvField(entry[f])).join(',')}\n`);
}

function eachLine(event: BlueprintEvent, format: (entry: ApacheLogEntry) => string): BlueprintResult {
  return {
    records: event.records.map(({ recordId, data }) => {
      const entry = parseApacheLogLine(Buffer.from(data, 'base64').toString('utf8'));
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
