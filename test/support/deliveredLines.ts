import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every record line in every file a directory destination delivered under `outDir` (none when it does not
 * exist yet). Files appear whole (written aside, then renamed), so a file read is never half written; hidden
 * files (the ones still being written) are skipped.
 */
export async function deliveredLines(outDir: string): Promise<string[]> {
  const lines: string[] = [];
  const entries = await readdir(outDir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
    for (const line of text.split('\n')) if (line !== '') lines.push(line);
  }
  return lines;
}
