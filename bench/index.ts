import { benchBufferBySizeOrTime } from './bufferBySizeOrTime.bench.js';
import { benchDelivery } from './delivery.bench.js';
import { benchFromLines } from './fromLines.bench.js';
import { benchDirectPut } from './directPut.bench.js';
import { benchKinesis } from './kinesis.bench.js';
import { benchStartup } from './startup.bench.js';
import { benchReceiver } from './receiver.bench.js';
import { benchPostgres } from './postgres.bench.js';

// Every benchmark compares with a baseline run in the same process: ratios hold across machines,
// absolute figures do not.
benchBufferBySizeOrTime();
await benchDelivery();
await benchKinesis();
await benchStartup();
await benchReceiver();
await benchFromLines();
await benchDirectPut();
await benchPostgres();
