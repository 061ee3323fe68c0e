import { describe, expect, it } from 'vitest';
import { parseSyslogLine, syslogToCsv, syslogToJson } from '../../src/blueprints/index.js';
import { runBlueprint } from './support.js';

// RFC 5424's examples (section 6.5; BOM as U+FEFF), RFC 3164's examples (section 5.4), and a common sshd line.
const rfc5424 = [
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
  "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...',
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
];
const rfc3164 = [
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!',
  'Jan  5 10:01:02 web01 sshd[2415]: Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2',
];
const malformed = [
  'hello world',
  '<999>1 2003-10-11T22:14:15.003Z host app - - - too high a priority',
  '<34>1 yesterday host app - - - msg',
  '<34>Oct 32',
];

describe('syslog blueprints', () => {
  it('should parse RFC 5424 lines into JSON, with structured data, and fail what is neither format', async () => {
    const { texts, failedRaw } = await runBlueprint(syslogToJson, [...rfc5424, ...malformed]);
    const parsed = texts.map((t) => JSON.parse(t));
    expect(parsed[0]).toEqual({
      format: 5424,
      priority: 34,
      facility: 4,
      severity: 2,
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      appName: 'su',
      procId: null,
      msgId: 'ID47',
      structuredData: null,
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(parsed[1]).toMatchObject({
      priority: 165,
      facility: 20,
      severity: 5,
      timestamp: '2003-08-24T05:14:15.000003-07:00',
      procId: '8710',
      msgId: null,
      message: "%% It's time to make the do-nuts.",
    });
    expect(parsed[2]).toMatchObject({
      structuredData: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } },
      message: 'An application event log entry...',
    });
    expect(parsed[3]).toMatchObject({
      structuredData: {
        'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
        'examplePriority@32473': { class: 'high' },
      },
      message: '',
    });
    expect(failedRaw.map((b) => b.toString('utf8'))).toEqual(malformed);
  });

  it('should parse RFC 3164 lines, with or without PRI, tag and pid', async () => {
    const { texts } = await runBlueprint(
      syslogToJson,
      rfc3164.map((l) => `${l}\n`),
    );
    expect(texts.map((t) => JSON.parse(t))).toEqual([
      {
        format: 3164,
        priority: 34,
        facility: 4,
        severity: 2,
        timestamp: 'Oct 11 22:14:15',
        hostname: 'mymachine',
        appName: 'su',
        procId: null,
        msgId: null,
        structuredData: null,
        message: "'su root' failed for lonvick on /dev/pts/8",
      },
      {
        format: 3164,
        priority: 13,
        facility: 1,
        severity: 5,
        timestamp: 'Feb  5 17:32:18',
        hostname: '10.0.0.99',
        appName: null,
        procId: null,
        msgId: null,
        structuredData: null,
        message: 'Use the BFG!',
      },
      {
        format: 3164,
        priority: null,
        facility: null,
        severity: null,
        timestamp: 'Jan  5 10:01:02',
        hostname: 'web01',
        appName: 'sshd',
        procId: '2415',
        msgId: null,
        structuredData: null,
        message: 'Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2',
      },
    ]);
  });

  it('should write CSV rows with the structured data as JSON text', async () => {
    const { texts, failures } = await runBlueprint(syslogToCsv, [rfc5424[2]!, rfc3164[2]!, malformed[0]!]);
    expect(texts).toEqual([
      '5424,165,20,5,2003-10-11T22:14:15.003Z,mymachine.example.com,evntslog,,ID47,"{""exampleSDID@32473"":{""iut"":""3"",""eventSource"":""Application"",""eventID"":""1011""}}",An application event log entry...\n',
      '3164,,,,Jan  5 10:01:02,web01,sshd,2415,,,Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2\n',
    ]);
    expect(failures).toHaveLength(1);
  });

  it('should unescape structured data values and refuse an empty structured data element list', () => {
    expect(parseSyslogLine('<14>1 - - - - - [a@1 k="x\\"y\\]z"] m')?.structuredData).toEqual({ 'a@1': { k: 'x"y]z' } });
    expect(parseSyslogLine('<14>1 - - - - - [bad')).toBeUndefined();
  });
});
