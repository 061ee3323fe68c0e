/**
 * kinesalite and dynalite in a process of their own, for the benchmarks that measure the CPU of a reader: in
 * the bench's own process their work would be counted as the reader's. Prints `<kinesis endpoint> <dynamodb
 * endpoint>` once both listen on 127.0.0.1; exits when its standard input closes (the parent ended).
 */
import { startDynalite } from '../test/support/dynalite.js';
import { startKinesalite } from '../test/support/kinesalite.js';

const [kinesalite, dynalite] = await Promise.all([startKinesalite(), startDynalite()]);
process.stdout.write(`${kinesalite.endpoint} ${dynalite.endpoint}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
