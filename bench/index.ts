import { benchBufferBySizeOrTime } from './bufferBySizeOrTime.bench.js';
import { benchDelivery } from './delivery.bench.js';
import { benchDirectPut } from './directPut.bench.js';
import { benchKinesis } from './kinesis.bench.js';

// Every benchmark compares with a baseline run in the same process: ratios hold across machines,
// absolute figures do not.
benchBufferBySizeOrTime();
await benchDelivery();
await benchKinesis();
await benchDirectPut();
