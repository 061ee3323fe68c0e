import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { defer, map } from 'rxjs';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import type { DeliveryStream, DeliveryStreamEnvironment, DeliveryStreamSummary } from '../config/DeliveryStream.js';
import { InvalidConfigurationError } from '../config/InvalidConfigurationError.js';
import { MissingPeerDependencyError } from '../errors/MissingPeerDependencyError.js';
import { planDeliveryStream, type DeliveryStreamPlan } from '../config/planDeliveryStream.js';
import { sourceBudgetFor } from '../config/sourceBudgetFor.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import { prometheusMetrics } from '../metrics/prometheusMetrics.js';
import { serveMetrics } from '../metrics/serveMetrics.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { carrySettlement } from '../settlement/carrySettlement.js';
import { FILE_READ_CHUNK_BYTES, fromLines } from '../sources/lines/fromLines.js';
import { LEASE_FLAGS_HELP, REFERENCE_ENDPOINT_FLAGS_HELP, STREAM_FLAG_OPTIONS, streamFlagsOf } from './streamFlags.js';

const HELP = `rx-firehose run: runs the delivery streams of a Firehose configuration (CreateDeliveryStream input).

Usage: rx-firehose run --config streams.json [options]

  --config FILE             one CreateDeliveryStream input (JSON), or an array of them (required)
  --data-dir DIR            local data: buckets without --s3-endpoint, Kinesis checkpoints (default ./firehose-data)
  --input FILE|-            lines for the Direct PUT streams, one record per line without its newline
                            ('-' for stdin; add the AppendDelimiterToRecord processor for a \\n after each);
                            without it a Direct PUT stream has no records and ends at once
  --s3-endpoint URL         write buckets to this S3 endpoint instead of DIR/<bucket>/
  --kinesis-endpoint URL    read Kinesis streams here
  --lambda-endpoint URL     invoke Lambda processors here (Lambda Invoke API)
  --dynamodb-endpoint URL   Kinesis shard leases and checkpoints in DynamoDB (table rx-firehose-checkpoints)
                            instead of DIR: processes run with the same config share the shards
${REFERENCE_ENDPOINT_FLAGS_HELP}
${LEASE_FLAGS_HELP}
  --lambda-handler K=FILE[#EXPORT]
                            run the Lambda function K (name or ARN) in this process: FILE's export
                            (default "handler"); repeatable
  --starting-position P     where a Kinesis shard without a checkpoint starts: LATEST (default, as Firehose)
                            or TRIM_HORIZON
  --metrics-port N          serve every metric in Prometheus text format on http://127.0.0.1:N/metrics
                            (0: a free port, printed)
  --quiet                   no line per delivery, only progress and the summaries
  --help                    this text

Credentials and region come from the AWS SDK's usual chain (environment, profile, …).
Ctrl-C (SIGINT) or SIGTERM stops reading and drains: everything read is delivered, checkpoints are saved,
then it exits. A second signal exits at once.
Exit status (as the main job's): 0 all delivered; 3 some records went to an error output; 2 invalid usage
or configuration, or an optional package it needs is not installed; 1 a delivery stream failed (a source
error, or records that reached no error output).`;

/**
 * `rx-firehose run`: runs the delivery streams of a Firehose configuration file until their sources end
 * or a signal stops them; prints a line per delivery, progress, and a summary per delivery stream.
 *
 * ## Example
 * ```ts
 * import { main } from 'rx-firehose/dist/src/cli/run.js';
 * process.exitCode = await main(['--config', 'streams.json', '--input', 'events.jsonl']);
 * ```
 *
 * @param argv The arguments after `run`.
 * @returns The exit status: 0 all delivered, 3 something went to an error output, 2 invalid usage or configuration, 1 a stream failed.
 */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        input: { type: 'string' },
        ...STREAM_FLAG_OPTIONS,
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.config === undefined) return usage('--config is required');
  const flags = await streamFlagsOf(values);
  if (typeof flags === 'string') return usage(flags);
  const port = flags.metricsPort;

  let inputs: CreateDeliveryStreamInput[];
  try {
    const parsed = JSON.parse(await readFile(values.config, 'utf8')) as unknown;
    inputs = (Array.isArray(parsed) ? parsed : [parsed]) as CreateDeliveryStreamInput[];
  } catch (err) {
    return usage(`cannot read ${values.config}: ${(err as Error).message}`);
  }
  const names = inputs.map((i) => (i as { DeliveryStreamName?: unknown })?.DeliveryStreamName);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) return usage(`${values.config}: two delivery streams are named ${JSON.stringify(duplicate)}`);
  const directPut = inputs.filter(
    (i) => (i as { DeliveryStreamType?: unknown })?.DeliveryStreamType === undefined || i.DeliveryStreamType === 'DirectPut',
  ).length;
  if (values.input === '-' && directPut > 1) return usage(`--input - feeds one Direct PUT stream; ${values.config} has ${directPut}`);
  if (values.input !== undefined && directPut === 0) return usage(`--input feeds Direct PUT streams; ${values.config} has none`);

  const stop = new AbortController();
  const incoming = new Map<string, number>();
  const countingIncoming =
    (name: string, sink: MetricSink | undefined): MetricSink =>
    (metric, value, unit) => {
      if (metric === 'IncomingRecords') incoming.set(name, (incoming.get(name) ?? 0) + value);
      sink?.(metric, value, unit);
    };
  const prometheus = port === undefined ? undefined : prometheusMetrics();
  // Every configuration is checked before any stream starts reading.
  const plans: DeliveryStreamPlan[] = [];
  const stdinUsed = values.input === '-';
  try {
    for (const input of inputs) {
      const isDirectPut = input?.DeliveryStreamType === undefined || input.DeliveryStreamType === 'DirectPut';
      // The lines are read only once the stream starts, with a budget that lets its buffers fill.
      let plan: DeliveryStreamPlan | undefined;
      const environment: DeliveryStreamEnvironment = {
        dataDir: values['data-dir'] ?? './firehose-data',
        ...flags.environment,
        metrics: countingIncoming(String(input?.DeliveryStreamName), prometheus?.sinkFor(String(input?.DeliveryStreamName))),
        ...(isDirectPut && values.input !== undefined
          ? {
              records: defer(() =>
                fromLines(
                  values.input === '-' ? process.stdin : createReadStream(values.input!, { highWaterMark: FILE_READ_CHUNK_BYTES }),
                  {
                    signal: stop.signal,
                    ...sourceBudgetFor(plan!.bufferedBytes),
                  },
                ),
              ).pipe(map(withoutNewline)),
            }
          : {}),
      };
      plan = planDeliveryStream(input, environment);
      plans.push(plan);
    }
    // Checks that run while a stream loads (a Glue table's schema, jq queries): refuse before any stream starts.
    await Promise.all(plans.map((plan) => plan.loaded));
  } catch (err) {
    for (const plan of plans) plan.discard();
    if (err instanceof InvalidConfigurationError) return usage(`${values.config}: ${err.message}`);
    if (err instanceof MissingPeerDependencyError) {
      // What to install, without a stack trace: the configuration needs a client this installation lacks.
      console.error(`rx-firehose run: ${err.message}`);
      return 2;
    }
    throw err;
  }

  let server: Server | undefined;
  if (prometheus !== undefined) {
    try {
      server = await serveMetrics(prometheus, port!);
      console.error(`rx-firehose: metrics at http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    } catch (err) {
      console.error(`rx-firehose: cannot serve metrics on 127.0.0.1:${port}: ${(err as Error).message}`);
      for (const plan of plans) plan.discard();
      return 2;
    }
  }
  const streams: DeliveryStream[] = plans.map((plan) => plan.start());

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      console.error(`\n${signal} again: exiting without draining.`);
      process.exit(130);
    }
    console.error(`\n${signal}: stopped reading, draining what was read (again to exit at once)…`);
    stop.abort();
    for (const s of streams) void s.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = Date.now();
  const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MiB`;
  const counts = new Map(streams.map((s) => [s.name, { records: 0, bytes: 0, failed: 0 }]));
  for (const stream of streams) {
    console.error(`rx-firehose: ${stream.name}: ${stream.description}`);
    stream.results.subscribe((r) => {
      const c = counts.get(stream.name)!;
      if (r.stage === 'destination') {
        c.records += r.records.length - r.failed.length;
        c.bytes += r.bytes;
      }
      c.failed += r.failed.length;
      if (!values.quiet) {
        const where = r.status === 'delivered' ? r.location : `${r.errorLocation ?? ''} (${r.errorCode ?? ''}: ${r.errorMessage ?? ''})`;
        console.log(
          `${stream.name} ${r.stage === 'backup' ? 'backup   ' : r.status === 'delivered' ? 'delivered' : 'FAILED   '} ${String(r.records.length).padStart(6)} records ${mb(r.bytes).padStart(9)} → ${where}`,
        );
      }
    });
  }
  const ticker = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    for (const [name, c] of counts) {
      console.error(
        `… ${name}: ${incoming.get(name) ?? 0} records in, ${c.records} delivered (${mb(c.bytes)}), ${c.failed} to the error output, ${(c.records / elapsed).toFixed(0)} records/s`,
      );
    }
  }, 1_000);

  const summaries: DeliveryStreamSummary[] = await Promise.all(streams.map((s) => s.done));
  clearInterval(ticker);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (stdinUsed) process.stdin.destroy();
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));

  let status = 0;
  for (const s of summaries) {
    console.error(
      `done: ${s.name}: ${s.incomingRecords} records in, ${s.deliveredRecords} delivered (${mb(s.deliveredBytes)} in ${s.deliveredBatches} batches), ` +
        `${s.errorOutputRecords} to the error output${s.backupRecords > 0 ? `, ${s.backupRecords} backed up` : ''} in ${(s.durationMs / 1000).toFixed(2)} s` +
        (s.error === undefined ? '' : `; FAILED: ${(s.error as Error)?.message ?? String(s.error)}`),
    );
    if (s.error !== undefined) status = 1;
    else if (s.errorOutputRecords > 0 && status === 0) status = 3;
  }
  return status;
}

/** A line's record without its \n: as in Firehose, the configuration says whether records get a delimiter (AppendDelimiterToRecord). */
function withoutNewline(record: FirehoseRecord): FirehoseRecord {
  const out = {
    ...record,
    data: record.data.subarray(0, record.data.byteLength - (record.data[record.data.byteLength - 1] === 0x0a ? 1 : 0)),
  };
  carrySettlement(record, out);
  return out;
}

function usage(message: string): number {
  console.error(`rx-firehose run: ${message}\n\n${HELP}`);
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
