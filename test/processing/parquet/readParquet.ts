import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** What DuckDB (an independent Parquet reader) reads from a file: its rows, and per row group the codec of each column chunk. */
export interface ReadBack {
  readonly rows: Array<Record<string, unknown>>;
  readonly rowGroups: number;
  readonly codecs: string[];
  readonly types: Record<string, string>;
}

/**
 * One DuckDB in-memory database per test file; `read(bytes)` writes the bytes aside and reads them back as
 * Parquet; `select(bytes, list)` reads them with a select list of its own (`d::VARCHAR AS d`: exact text).
 */
export function useDuckDb(): {
  read(bytes: Uint8Array): Promise<ReadBack>;
  select(bytes: Uint8Array, list: string): Promise<Array<Record<string, unknown>>>;
} {
  let connection: DuckDBConnection | undefined;
  let instance: DuckDBInstance | undefined;
  let dir = '';
  let n = 0;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-parquet-'));
  });
  afterAll(async () => {
    connection?.closeSync();
    instance?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    async select(bytes, list) {
      const file = join(dir, `${n++}.parquet`);
      await writeFile(file, bytes);
      return (await connection!.runAndReadAll(`SELECT ${list} FROM read_parquet('${file}')`)).getRowObjectsJS() as Array<
        Record<string, unknown>
      >;
    },
    async read(bytes) {
      const file = join(dir, `${n++}.parquet`);
      await writeFile(file, bytes);
      const rows = (await connection!.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS() as Array<
        Record<string, unknown>
      >;
      const meta = (await connection!.runAndReadAll(`SELECT row_group_id, compression FROM parquet_metadata('${file}')`)).getRowObjectsJS();
      const schema = (await connection!.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
      return {
        rows,
        rowGroups: new Set(meta.map((m) => m.row_group_id)).size,
        codecs: [...new Set(meta.map((m) => String(m.compression)))],
        types: Object.fromEntries(schema.map((c) => [String(c.column_name), String(c.column_type)])),
      };
    },
  };
}
