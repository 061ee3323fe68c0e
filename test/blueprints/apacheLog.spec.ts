import { describe, expect, it } from 'vitest';
import { apacheLogToCsv, apacheLogToJson, parseApacheLogLine } from '../../src/blueprints/index.js';
import { runBlueprint } from './support.js';

// The examples of Apache httpd's log documentation (Combined and Common Log Format), and a modern line.
const combined =
  '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
const common = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326';
const modern = '203.0.113.7 - - [02/Dec/2026:11:50:12 +0000] "POST /api/v1/search?q=a,b HTTP/2.0" 304 - "-" "curl/8.5.0 \\"quoted\\""';
const malformed = ['GET /index.html HTTP/1.1', '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /" abc 12', ''];

describe('Apache access log blueprints', () => {
  it('should turn combined, common and escaped lines into JSON objects, and fail what is not an access log line', async () => {
    const { texts, failures, failedRaw } = await runBlueprint(apacheLogToJson, [combined, common, `${modern}\n`, ...malformed]);
    expect(texts.map((t) => t.endsWith('\n'))).toEqual([true, true, true]);
    expect(texts.map((t) => JSON.parse(t))).toEqual([
      {
        host: '127.0.0.1',
        ident: '-',
        authuser: 'frank',
        date: '10/Oct/2000:13:55:36 -0700',
        request: 'GET /apache_pb.gif HTTP/1.0',
        status: 200,
        size: 2326,
        referer: 'http://www.example.com/start.html',
        agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
      },
      {
        host: '127.0.0.1',
        ident: '-',
        authuser: 'frank',
        date: '10/Oct/2000:13:55:36 -0700',
        request: 'GET /apache_pb.gif HTTP/1.0',
        status: 200,
        size: 2326,
        referer: null,
        agent: null,
      },
      expect.objectContaining({
        request: 'POST /api/v1/search?q=a,b HTTP/2.0',
        status: 304,
        size: null,
        referer: '-',
        agent: 'curl/8.5.0 "quoted"',
      }),
    ]);
    expect(failures.map((f) => f.errorCode)).toEqual([
      'Lambda.ProcessingFailedStatus',
      'Lambda.ProcessingFailedStatus',
      'Lambda.ProcessingFailedStatus',
    ]);
    expect(failedRaw.map((b) => b.toString('utf8'))).toEqual(malformed);
  });

  it('should turn lines into CSV rows, quoting fields that need it', async () => {
    const { texts, failures } = await runBlueprint(apacheLogToCsv, [combined, common, modern, malformed[0]!]);
    expect(texts).toEqual([
      '127.0.0.1,-,frank,10/Oct/2000:13:55:36 -0700,GET /apache_pb.gif HTTP/1.0,200,2326,http://www.example.com/start.html,Mozilla/4.08 [en] (Win98; I ;Nav)\n',
      '127.0.0.1,-,frank,10/Oct/2000:13:55:36 -0700,GET /apache_pb.gif HTTP/1.0,200,2326,,\n',
      '203.0.113.7,-,-,02/Dec/2026:11:50:12 +0000,"POST /api/v1/search?q=a,b HTTP/2.0",304,,-,"curl/8.5.0 ""quoted"""\n',
    ]);
    expect(failures).toHaveLength(1);
  });

  it('should parse what it formats: host and request survive any printable text', () => {
    expect(parseApacheLogLine('::1 - - [x] "" 500 0')).toMatchObject({ host: '::1', request: '', status: 500, size: 0 });
    expect(parseApacheLogLine('a b c [d] "e" 20 1')).toBeUndefined();
  });
});
