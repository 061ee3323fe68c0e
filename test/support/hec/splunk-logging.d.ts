/**
 * The part of `splunk-logging` (Splunk's own JavaScript HEC client, a dev dependency) that the tests use as
 * an independent sender of HEC events. Written from its source (splunklogger.js); the package ships no types.
 */
declare module 'splunk-logging' {
  export interface SplunkLoggerConfig {
    token: string;
    url?: string;
    maxBatchCount?: number;
    maxRetries?: number;
  }
  export interface SplunkContext {
    message: unknown;
    severity?: string;
    metadata?: { time?: number; host?: string; source?: string; sourcetype?: string; index?: string };
  }
  export class Logger {
    constructor(config: SplunkLoggerConfig);
    requestOptions: { headers?: Record<string, string>; [option: string]: unknown };
    eventFormatter: (message: unknown, severity: string) => unknown;
    error: (err: Error, context: unknown) => void;
    send(context: SplunkContext, callback?: (err: Error | null, response: unknown, body: unknown) => void): void;
    flush(callback?: (err: Error | null, response: unknown, body: unknown) => void): void;
  }
}
