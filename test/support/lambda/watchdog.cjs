'use strict';
// Preloaded (`node --require`) into the serverless-offline process started by ../lambda.ts.
// Ends this process when the Node process that started it is gone, however it died
// (including SIGKILL), so that a killed test run never leaves serverless-offline behind:
//  - stdin is a pipe whose only writer is the parent: the kernel closes it when the parent
//    dies, and we see end-of-file (the parent never writes to it nor closes it before stop());
//  - belt and braces: the parent pid is polled; re-parenting (to init or a subreaper) means
//    the parent died.
// Worker threads (where serverless-offline runs the handlers) die with the process.
const startPpid = process.ppid;
const die = () => {
  try {
    process.kill(process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
};
if (process.env.RX_FIREHOSE_LAMBDA_WATCHDOG === '1') {
  process.stdin.on('end', die);
  process.stdin.on('close', die);
  process.stdin.on('error', die);
  process.stdin.on('data', () => {});
  process.stdin.resume();
  // Watching must not keep the process alive: serverless exits by itself after an error.
  if (typeof process.stdin.unref === 'function') process.stdin.unref();
  setInterval(() => {
    if (process.ppid !== startPpid) die();
  }, 500).unref();
}
