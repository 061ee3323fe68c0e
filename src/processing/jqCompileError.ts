import { loadJq } from './jqEngine.js';
import { wrapQuery } from './jqPartitionKeys.js';

const COMPILE_ERROR = 3;

/**
 * Compiles a MetadataExtractionQuery with jq (loading jq first, which is why this is asynchronous) and
 * returns jq's message when it does not compile, else `undefined`. Nothing is evaluated: jq compiles the
 * program and reads no input, so a query that would loop forever still answers here. The query is compiled
 * on its own first (jq's message then points into the user's text) and then as {@link extractPartitionKeys}
 * runs it.
 */
export async function jqCompileError(query: string): Promise<string | undefined> {
  const jq = await loadJq();
  const wrapped = wrapQuery(query);
  for (const program of [query, wrapped.values, wrapped.texts]) {
    const result = jq.raw('', program, ['-c']);
    if (result.exitCode === COMPILE_ERROR) return result.stderr.trim().replace(/\s+/g, ' ');
  }
  return undefined;
}
