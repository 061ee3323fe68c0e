/**
 * The file checkpoint store's crash test child: saves checkpoints as fast as it can (sequence number = a
 * counter, with a large second stream so each write takes a while) and prints `saved <n>` after each save
 * resolved, until it is killed with SIGKILL. Environment: CHECKPOINT_FILE.
 */
import { fileCheckpointStore } from '../../../src/sources/kinesis/index.js';

const store = fileCheckpointStore({ path: process.env['CHECKPOINT_FILE']! });
const bulk = new Map(
  Array.from({ length: 2_000 }, (_, i) => [
    `shardId-${String(i).padStart(12, '0')}`,
    { sequenceNumber: '4'.repeat(56), subsequenceNumber: i },
  ]),
);
await store.save('bulk', bulk);
for (let n = 1; ; n++) {
  await store.save('counter', new Map([['shardId-000000000000', { sequenceNumber: String(n), subsequenceNumber: 0 }]]));
  process.stdout.write(`saved ${n}\n`);
}
