/**
 * The entry of a Parquet conversion worker thread (started by `conversionPool`): converts the batches
 * posted to it with `convertBatch` and posts back the failures and the files, transferring the files'
 * bytes. Shipped beside the code that starts it: `dist/src/processing/parquet/conversionWorker.js`, and
 * in the CLI's bundle `dist/src/cli/bundle/conversionWorker.js`.
 */
import { parentPort } from 'node:worker_threads';
import { convertBatch } from './convertBatch.js';
import { recordViews } from './recordViews.js';
import type { ConversionRequest, ConversionReply } from './conversionPool.js';

const port = parentPort;
if (port === null) throw new Error('conversionWorker runs as a worker thread (started by parquetConversion)');

port.on('message', (request: ConversionRequest) => {
  const { id, settings, data, ends, groups } = request;
  convertBatch(settings, recordViews(data, ends), groups).then(
    ({ failed, files }) => {
      const reply: ConversionReply = { id, failed, files };
      port.postMessage(
        reply,
        files.map((f) => f.body.buffer as ArrayBuffer),
      );
    },
    (err: unknown) => {
      const reply: ConversionReply = {
        id,
        error: { name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) },
      };
      port.postMessage(reply);
    },
  );
});
port.postMessage({ ready: true });
