import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as operators from '../../operators/index.js';
import * as root from '../../src/index.js';
import * as testing from '../../src/testing/index.js';
import * as blueprints from '../../src/blueprints/index.js';

// The entries export what the documentation describes, and nothing else: every value they export is named
// (as a whole word) in README.md or docs/.
const base = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const markdown = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdown(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
const docs = [join(base, 'README.md'), ...markdown(join(base, 'docs'))].map((f) => readFileSync(f, 'utf8')).join('\n');
const documented = (name: string): boolean => new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(docs);

describe('the public surface', () => {
  it.each([
    ['rx-firehose', root],
    ['rx-firehose/operators', operators],
    ['rx-firehose/testing', testing],
    ['rx-firehose/blueprints', blueprints],
  ] as const)('%s should export only documented names', (_, entry) => {
    const names = Object.keys(entry);
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names.filter((name) => !documented(name))).toEqual([]);
  });

  it('should keep internals out of the root entry', () => {
    for (const name of ['crc32c', 'checkStreamName', 'KPL_MAGIC', 'compareSequenceNumbers', 'backoffDelayMs', 'compilePrefix'])
      expect(name in root).toBe(false);
    // The check sees an undocumented name.
    expect(documented('crc32c')).toBe(false);
    expect(documented('bufferBySizeOrTime')).toBe(true);
  });
});
