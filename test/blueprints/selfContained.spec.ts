import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Each blueprint file, compiled on its own and loaded from a directory holding nothing else, is a Lambda
// function: it imports only Node's own modules, and its handlers answer an event.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const files = {
  generalProcessing: ['generalProcessing'],
  apacheLog: ['apacheLogToJson', 'apacheLogToCsv'],
  syslog: ['syslogToJson', 'syslogToCsv'],
  cloudWatchLogs: ['cloudWatchLogsToMessages'],
  kplAggregated: ['kplAggregatedToRecords'],
};

describe('blueprint files', () => {
  it.each(Object.entries(files))(
    '%s should compile alone into a module that imports only node: modules and answers an event',
    async (file, handlers) => {
      const source = await readFile(join(root, 'src/blueprints', `${file}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, removeComments: true },
      });
      // Static imports and re-exports (a statement from the line start), and dynamic import('…').
      const imports = [
        ...outputText.matchAll(/^\s*(?:import|export)\b[^'";()=]*?'([^']+)'/gm),
        ...outputText.matchAll(/\bimport\s*\(\s*'([^']+)'/g),
      ].map((m) => m[1]);
      expect(imports.length).toBeGreaterThan(0);
      expect(imports.filter((specifier) => !specifier!.startsWith('node:'))).toEqual([]);
      const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-blueprint-'));
      try {
        await writeFile(join(dir, 'index.mjs'), outputText);
        const module = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as Record<
          string,
          (event: unknown) => Promise<{ records: Array<{ recordId: string; result: string }> }>
        >;
        for (const name of handlers) {
          const out = await module[name]!({
            records: [{ recordId: 'r0', approximateArrivalTimestamp: 0, data: Buffer.from('x').toString('base64') }],
          });
          expect(out.records).toEqual([
            expect.objectContaining({ recordId: 'r0', result: expect.stringMatching(/^(Ok|ProcessingFailed)$/) }),
          ]);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
