import { benchBufferBySizeOrTime } from './bufferBySizeOrTime.bench.js';
import { benchDelivery } from './delivery.bench.js';
import { benchFromLines } from './fromLines.bench.js';
import { benchDirectPut } from './directPut.bench.js';
import { benchKinesis, benchKinesisReaderCpu } from './kinesis.bench.js';
import { benchKinesisLeases } from './kinesisLeases.bench.js';
import { benchStartup } from './startup.bench.js';
import { benchReceiver } from './receiver.bench.js';

// Every benchmark compares with a baseline run in the same process: ratios hold across machines,
// absolute figures do not.
benchBufferBySizeOrTime();
await benchDelivery();
await benchKinesis();
await benchKinesisReaderCpu();
await benchKinesisLeases();
await benchStartup();
await benchReceiver();
await benchFromLines();
await benchDirectPut();
