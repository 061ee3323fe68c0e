import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBufferBySizeOrTime } from './bufferBySizeOrTime.bench.js';
import { benchDelivery } from './delivery.bench.js';
import { benchFromLines } from './fromLines.bench.js';
import { benchDirectPut } from './directPut.bench.js';
import { benchKinesis } from './kinesis.bench.js';
import { benchKinesisLeases } from './kinesisLeases.bench.js';
import { benchStartup } from './startup.bench.js';
import { benchReceiver } from './receiver.bench.js';
import { benchParquet } from './parquet.bench.js';
import { benchProcessing } from './processing.bench.js';
import { benchThroughput } from './throughput.bench.js';

// Every benchmark compares with a baseline run in the same invocation: ratios hold across machines,
// absolute figures do not. Goals print PASS or FAIL lines with their ratio (see bench/README.md).

// bufferBySizeOrTime's goal holds in a process of its own: run it in one.
execFileSync(process.execPath, [...process.execArgv, join(dirname(fileURLToPath(import.meta.url)), 'bufferBySizeOrTime.bench.ts')], {
  stdio: 'inherit',
});
await benchStartup(); // builds dist/, which the throughput benchmark runs
await benchThroughput();
await benchDelivery();
await benchKinesis();
// The Kinesis reader's goal too: after the benchmarks above, the source's code in this process has seen other
// sources' records and pipelines (1.34× measured there, 1.11× and 1.13× in processes of their own).
execFileSync(process.execPath, [...process.execArgv, join(dirname(fileURLToPath(import.meta.url)), 'kinesis.bench.ts'), 'reader'], {
  stdio: 'inherit',
});
await benchKinesisLeases();
await benchReceiver();
await benchFromLines();
await benchDirectPut();
await benchParquet();
await benchProcessing();
// So does the PostgreSQL destination's: after the benchmarks above, this process's shared rxjs and engine call
// sites have seen every other pipeline (megamorphic), which slows the engine's part of it alone (0.67× measured
// there against 0.83–0.87× in a process of its own, bare loads alike).
execFileSync(process.execPath, [...process.execArgv, join(dirname(fileURLToPath(import.meta.url)), 'postgres.bench.ts')], {
  stdio: 'inherit',
});
// And again after every other benchmark, in this process, for information.
benchBufferBySizeOrTime('shared process');
