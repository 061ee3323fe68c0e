import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import { DeliveryStreamRegistry } from '../server/DeliveryStreamRegistry.js';
import { LEASE_FLAGS_HELP, REFERENCE_ENDPOINT_FLAGS_HELP, STREAM_FLAG_OPTIONS, streamFlagsOf } from './streamFlags.js';
import { DEFAULT_MAX_API_BODY_BYTES, DEFAULT_MAX_API_CONCURRENT_BODY_BYTES, firehoseApiListener } from '../server/firehoseApiListener.js';
import { FirehoseApiError } from '../sources/directPut/FirehoseApiError.js';
import { DEFAULT_MAX_IN_FLIGHT_BYTES } from '../sources/directPut/options.js';
import { DEFAULT_STALL_TIMEOUT_MS } from '../settlement/StallWatchdog.js';

const HELP = `rx-firehose serve: a local Amazon Data Firehose. Answers Firehose's API (PutRecord, PutRecordBatch,
Create/Describe/List/DeleteDeliveryStream, tags) so AWS SDK clients, the AWS CLI, Fluent Bit or Kinesis Agent
can send to it; accepted records are in a write-ahead log on disk before the answer.

Usage: rx-firehose serve [options]

  --port N                  listen on this port (default 4573; 0: a free port)
  --host H                  listen on this address (default 127.0.0.1: this machine only)
  --data-dir DIR            buckets (DIR/<bucket>/), the streams created through the API and their logs
                            (DIR/.rx-firehose/) (default ./firehose-data)
  --config FILE             create these delivery streams at start (one CreateDeliveryStream input, or an
                            array); streams that already exist in DIR are kept as they are
  --credentials FILE        JSON {"<access key id>": "<secret access key>", …}: every request must carry a
                            valid AWS Signature Version 4 by one of them. Without it, any credentials are accepted.
  --max-in-flight-bytes N   per stream: past N bytes accepted and not yet delivered, puts are answered
                            ServiceUnavailableException "Slow down." (default ${DEFAULT_MAX_IN_FLIGHT_BYTES},
                            or twice the stream's buffers if more)
  --max-concurrent-body-bytes N
                            request bodies held at once, across all requests: past N, a request is answered
                            ServiceUnavailableException "Slow down." and its connection closed
                            (default ${DEFAULT_MAX_API_CONCURRENT_BODY_BYTES}, 128 MiB)
  --stall-timeout-ms N      per stream: puts refused for a full budget or log while nothing settles for N ms
                            are reported as a stall, naming the stream (default ${DEFAULT_STALL_TIMEOUT_MS}, 15 min; 1–86400000)
  --on-stall warn|error     warn (default): metrics and a SettlementStallWarning, again every N ms;
                            error: the delivery stream fails with SettlementStallError
  --s3-endpoint URL         write buckets to this S3 endpoint instead of DIR/<bucket>/
  --kinesis-endpoint URL    read Kinesis streams (KinesisStreamAsSource) here
  --lambda-endpoint URL     invoke Lambda processors here (Lambda Invoke API)
  --dynamodb-endpoint URL   Kinesis shard leases and checkpoints in DynamoDB here (shared by several processes)
${REFERENCE_ENDPOINT_FLAGS_HELP}
${LEASE_FLAGS_HELP}
  --lambda-handler K=FILE[#EXPORT]
                            run the Lambda function K (name or ARN) in this process: FILE's export
                            (default "handler"); repeatable
  --starting-position P     where a Kinesis shard without a checkpoint starts: LATEST (default) or TRIM_HORIZON
  --metrics-port N          serve the metrics (IncomingBytes, IncomingRecords, IncomingPutRequests,
                            ThrottledRecords, DeliveryToS3.*, BackupToS3.*, …) per delivery stream in
                            Prometheus text format on http://127.0.0.1:N/metrics (0: a free port, printed)
  --region R                the region in ARNs (default us-east-1)
  --account-id N            the account in ARNs (default 000000000000)
  --help                    this text

The first line on stdout is "rx-firehose serve: listening on http://<host>:<port>".
Ctrl-C (SIGINT) or SIGTERM: later requests are answered ServiceUnavailableException, everything accepted
is delivered, then it exits 0 (1 if a delivery stream failed). A second signal exits at once; what was
accepted is still in the log and is delivered at the next start.`;

/**
 * `rx-firehose serve`: Firehose's API on `http://127.0.0.1:4573` with durable direct PUT, until SIGINT or
 * SIGTERM; then it drains and resolves.
 *
 * ## Example
 * ```ts
 * import { main } from 'rx-firehose/dist/src/cli/serve.js';
 * process.exitCode = await main(['--port', '0', '--data-dir', './firehose-data', '--config', 'streams.json']);
 * ```
 *
 * @param argv The arguments after `serve`.
 * @returns The exit status: 0 drained, 2 invalid usage or configuration, 1 a delivery stream failed.
 */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '4573' },
        host: { type: 'string', default: '127.0.0.1' },
        'data-dir': { type: 'string', default: './firehose-data' },
        config: { type: 'string' },
        credentials: { type: 'string' },
        'max-in-flight-bytes': { type: 'string' },
        'max-concurrent-body-bytes': { type: 'string' },
        'stall-timeout-ms': { type: 'string' },
        'on-stall': { type: 'string' },
        ...STREAM_FLAG_OPTIONS,
        region: { type: 'string' },
        'account-id': { type: 'string' },
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
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) return usage(`--port must be a port number (0–65535); got ${values.port}`);
  const maxInFlightBytes = values['max-in-flight-bytes'] === undefined ? undefined : Number(values['max-in-flight-bytes']);
  if (maxInFlightBytes !== undefined && !(Number.isInteger(maxInFlightBytes) && maxInFlightBytes >= 4 * 1_048_576)) {
    return usage(`--max-in-flight-bytes must be an integer ≥ 4194304 (one full PutRecordBatch); got ${values['max-in-flight-bytes']}`);
  }
  const maxConcurrentBodyBytes =
    values['max-concurrent-body-bytes'] === undefined ? undefined : Number(values['max-concurrent-body-bytes']);
  if (
    maxConcurrentBodyBytes !== undefined &&
    !(Number.isInteger(maxConcurrentBodyBytes) && maxConcurrentBodyBytes >= DEFAULT_MAX_API_BODY_BYTES)
  ) {
    return usage(
      `--max-concurrent-body-bytes must be an integer ≥ ${DEFAULT_MAX_API_BODY_BYTES} (the largest request body); got ${values['max-concurrent-body-bytes']}`,
    );
  }
  const stallTimeoutMs = values['stall-timeout-ms'] === undefined ? undefined : Number(values['stall-timeout-ms']);
  if (stallTimeoutMs !== undefined && !(stallTimeoutMs >= 1 && stallTimeoutMs <= 86_400_000)) {
    return usage(`--stall-timeout-ms must be a number of milliseconds from 1 to 86400000 (24 h); got ${values['stall-timeout-ms']}`);
  }
  const onStall = values['on-stall'];
  if (onStall !== undefined && onStall !== 'warn' && onStall !== 'error') return usage(`--on-stall must be warn or error; got ${onStall}`);

  const flags = await streamFlagsOf(values);
  if (typeof flags === 'string') return usage(flags);
  const metricsPort = flags.metricsPort;

  let credentials: Map<string, string> | undefined;
  if (values.credentials !== undefined) {
    try {
      credentials = parseCredentials(await readFile(values.credentials, 'utf8'));
    } catch (err) {
      // The message names the file and the problem, never a secret.
      return usage(`--credentials ${values.credentials}: ${(err as Error).message}`);
    }
  }
  let inputs: CreateDeliveryStreamInput[] = [];
  if (values.config !== undefined) {
    try {
      const parsed = JSON.parse(await readFile(values.config, 'utf8')) as unknown;
      inputs = (Array.isArray(parsed) ? parsed : [parsed]) as CreateDeliveryStreamInput[];
    } catch (err) {
      return usage(`cannot read ${values.config}: ${(err as Error).message}`);
    }
  }

  let failed = false;
  // prom-client is loaded only when metrics are served: it is most of a server's start-up otherwise.
  const metricsModule = metricsPort === undefined ? undefined : await import('../metrics/prometheusMetrics.js');
  const prometheus = metricsModule?.prometheusMetrics();
  const registry = await DeliveryStreamRegistry.open({
    dataDir: values['data-dir'],
    environment: {
      ...flags.environment,
      ...(values.region === undefined ? {} : { region: values.region }),
      ...(values['account-id'] === undefined ? {} : { accountId: values['account-id'] }),
    },
    ...(maxInFlightBytes === undefined ? {} : { maxInFlightBytes }),
    ...(stallTimeoutMs === undefined ? {} : { stallTimeoutMs }),
    ...(onStall === undefined ? {} : { onStall }),
    ...(prometheus === undefined ? {} : { metricsFor: (name: string) => prometheus.sinkFor(name) }),
    onStreamError: (name, err) => {
      failed = true;
      console.error(`rx-firehose serve: delivery stream ${name} failed: ${(err as Error)?.message ?? String(err)}`);
    },
  });
  for (const input of inputs) {
    const name = (input as { DeliveryStreamName?: unknown })?.DeliveryStreamName;
    if (typeof name === 'string' && registry.names.includes(name)) {
      console.error(`rx-firehose serve: delivery stream ${name} exists in ${values['data-dir']}; kept as it is`);
      continue;
    }
    try {
      await registry.create(input);
    } catch (err) {
      await registry.close();
      if (err instanceof FirehoseApiError) return usage(`${values.config}: ${err.type}: ${err.message}`);
      throw err;
    }
  }

  const server = createServer(
    { keepAliveTimeout: 60_000 },
    firehoseApiListener(registry, {
      ...(credentials === undefined ? {} : { credentials }),
      ...(maxConcurrentBodyBytes === undefined ? {} : { maxConcurrentBodyBytes }),
    }),
  );
  let metricsServer: Server | undefined;
  try {
    await listen(server, port, values.host);
    if (prometheus !== undefined) metricsServer = await (await import('../metrics/serveMetrics.js')).serveMetrics(prometheus, metricsPort!);
  } catch (err) {
    server.close();
    await registry.close();
    console.error(`rx-firehose serve: cannot listen: ${(err as Error).message}`);
    return 2;
  }
  // Signal handlers first: a script that reads the first line may signal at once.
  const stopped = new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        console.error(`\n${signal} again: exiting without draining; accepted records stay in the log for the next start.`);
        process.exit(130);
      }
      console.error(`\n${signal}: refusing new records, delivering everything accepted (again to exit at once)…`);
      // The server keeps answering while the streams drain: puts get ServiceUnavailableException.
      void registry.close().then(
        () => finish(0),
        (err: unknown) => {
          console.error(`rx-firehose serve: draining failed: ${(err as Error)?.message ?? String(err)}`);
          finish(1);
        },
      );
    };
    const finish = (code: number): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      metricsServer?.close();
      server.closeAllConnections();
      server.close(() => {
        console.error('rx-firehose serve: everything accepted was delivered; stopped.');
        resolve(failed && code === 0 ? 1 : code);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const { port: bound } = server.address() as AddressInfo;
  const host = values.host.includes(':') ? `[${values.host}]` : values.host;
  console.log(`rx-firehose serve: listening on http://${host}:${bound}`);
  console.error(
    `rx-firehose serve: ${registry.names.length} delivery stream(s) in ${values['data-dir']}: ${registry.names.join(', ') || 'none yet'}`,
  );
  for (const name of registry.names) {
    let source;
    try {
      source = registry.stream(name).source;
    } catch {
      continue; // a stream whose deletion a crash interrupted: it is being drained and deleted
    }
    if (source !== undefined && source.replayedRecords > 0)
      console.error(
        `rx-firehose serve: delivery stream ${name}: ${source.replayedRecords} records (${source.replayedBytes} bytes) from its log are delivered again`,
      );
  }
  if (metricsServer !== undefined)
    console.error(`rx-firehose serve: metrics at http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`);
  console.error(
    `rx-firehose serve: ${credentials === undefined ? 'any credentials are accepted (no --credentials)' : `SigV4 signatures are verified for ${credentials.size} access key(s)`}`,
  );
  return stopped;
}

/** Parses the credentials file: a JSON object of access key id → secret access key. */
export function parseCredentials(text: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('is not JSON; expected {"<access key id>": "<secret access key>", …}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('must be a JSON object {"<access key id>": "<secret access key>", …}');
  const entries = Object.entries(parsed);
  if (entries.length === 0) throw new Error('names no access key');
  for (const [id, secret] of entries) {
    if (!/^[A-Za-z0-9]{1,128}$/.test(id))
      throw new Error(`access key id ${JSON.stringify(id.slice(0, 32))} must be 1–128 letters and digits`);
    if (typeof secret !== 'string' || secret === '') throw new Error(`the secret of ${id} must be a non-empty string`);
  }
  return new Map(entries as Array<[string, string]>);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function usage(message: string): number {
  console.error(`rx-firehose serve: ${message}\n\n${HELP}`);
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
