import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  startOpenSearchBulkServer,
  type OpenSearchBulkServer,
  type OpenSearchBulkServerOptions,
} from '../../support/openSearchBulkServer.js';

/** What a test started, stopped after it (registers an `afterEach` in the calling spec file). */
export function testResources(): {
  start: (options?: OpenSearchBulkServerOptions) => Promise<OpenSearchBulkServer>;
  tempDir: () => Promise<string>;
  onCleanup: (cleanup: () => Promise<void>) => void;
} {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return {
    start: async (options) => {
      const s = await startOpenSearchBulkServer(options);
      cleanups.push(() => s.stop());
      return s;
    },
    tempDir: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-opensearch-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
}
