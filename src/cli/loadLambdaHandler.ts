import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalTransformation } from '../transform/lambdaContract.js';

/**
 * Loads one `--lambda-handler <name or ARN>=<file>[#export]` option: the module at `<file>` (relative to the
 * current directory; `.mjs`, `.js`, or `.ts` through tsx when it is installed) and its export (default `handler`, as Lambda's
 * `file.handler`). Returns the key and the handler; throws an Error saying what is wrong.
 *
 * ## Example
 * ```ts
 * const [key, handler] = await loadLambdaHandler('arn:aws:lambda:us-east-1:123456789012:function:enrich=./enrich.mjs#handler');
 * ```
 */
export async function loadLambdaHandler(option: string): Promise<[string, LocalTransformation]> {
  const eq = option.indexOf('=');
  if (eq <= 0 || eq === option.length - 1)
    throw new Error(`--lambda-handler must be <function name or ARN>=<file>[#export]; got ${JSON.stringify(option)}`);
  const key = option.slice(0, eq);
  const target = option.slice(eq + 1);
  const hash = target.lastIndexOf('#');
  const file = hash < 0 ? target : target.slice(0, hash);
  const exportName = hash < 0 ? 'handler' : target.slice(hash + 1);
  let module: Record<string, unknown>;
  try {
    const url = pathToFileURL(resolve(file)).href;
    module = (/\.[cm]?ts$/.test(file) ? await importTypeScript(url) : await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--lambda-handler ${key}: cannot load ${file}: ${(err as Error).message}`, { cause: err });
  }
  const handler = module[exportName];
  if (typeof handler !== 'function')
    throw new Error(`--lambda-handler ${key}: ${file} has no function export named ${JSON.stringify(exportName)}`);
  return [key, handler as LocalTransformation];
}

/** A TypeScript handler, the same file you deploy: loaded through tsx's API (an optional, dev-time tool here). */
async function importTypeScript(url: string): Promise<unknown> {
  let tsx: { tsImport: (specifier: string, parentURL: string) => Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api' as string)) as typeof tsx;
  } catch {
    throw new Error('a TypeScript handler needs tsx (npm install --save-dev tsx), or give its compiled .js');
  }
  return tsx.tsImport(url, import.meta.url);
}
