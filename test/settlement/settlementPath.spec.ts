import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// One settlement path: records are settled by the delivery engine (src/delivery) and by the settlement
// primitives themselves (src/settlement); sources own the settlements they create. Operators and
// destinations hand records to the engine (deliverTo, writeToErrorOutput, dropRecord) and never settle.
const ROOT = join(import.meta.dirname, '../..');
const ALLOWED = ['src/delivery/', 'src/settlement/', 'src/sources/'];
const SETTLES = /\bsettleRecord\(|\.settle\(\s*'(?:delivered|dropped|failed)'/;

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe('the settlement path', () => {
  it('should settle records only in the engine, the settlement primitives and the sources', () => {
    const settling = [...tsFiles('operators'), ...tsFiles('src')].filter(
      (file) => !ALLOWED.some((dir) => file.startsWith(dir)) && SETTLES.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(settling).toEqual([]);
  });
});
