import { optionalPeer } from '../aws/optionalPeer.js';

/** jq as this package uses it: one synchronous run of a filter over newline-separated JSON inputs. */
export interface JqRunner {
  readonly version: string;
  raw(input: string, filter: string, flags: string[]): { stdout: string; stderr: string; exitCode: number };
}

const jqWasm = optionalPeer('jq-wasm', 'extractPartitionKeys (MetadataExtraction)', () => import('jq-wasm'));
let loading: Promise<JqRunner> | undefined;
let loaded: JqRunner | undefined;

/**
 * jq 1.8 compiled to WebAssembly (the `jq-wasm` package, an optional peer dependency), loaded at the first
 * call and shared by every query of the process. `loadedJq()` answers synchronously once it has loaded.
 */
export function loadJq(): Promise<JqRunner> {
  loading ??= jqWasm()
    .then((m) => m.loadJq())
    .then((jq) => (loaded = jq as JqRunner))
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}

/** The jq engine if it has loaded, else `undefined`. */
export function loadedJq(): JqRunner | undefined {
  return loaded;
}
