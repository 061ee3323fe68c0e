// Records every module the process loads: ES modules through a load hook (node:module register), CommonJS ones
// from the require cache. At exit it prints their URLs to standard error, one a line, behind the marker
// `loaded: `. Used as `node --import ./test/package/recordImports.mjs …`.
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => loaded.add(url));
port1.unref();
const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });
const { cache } = createRequire(import.meta.url);
process.on('exit', () => {
  for (const file of Object.keys(cache)) loaded.add(pathToFileURL(file).href);
  for (const url of loaded) process.stderr.write(`loaded: ${url}\n`);
});
