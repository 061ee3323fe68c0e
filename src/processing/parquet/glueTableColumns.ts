import type { GlueClient } from '@aws-sdk/client-glue';
import { optionalPeer } from '../../aws/optionalPeer.js';

// The Glue client package is an optional peer: loaded when a Glue table is first read, never by importing rx-firehose.
const glue = optionalPeer(
  '@aws-sdk/client-glue',
  'DataFormatConversionConfiguration with a Glue table',
  () => import('@aws-sdk/client-glue'),
);

/** Which Glue table (and version) holds a conversion's schema: `SchemaConfiguration`'s fields. */
export interface GlueTableRef {
  readonly databaseName: string;
  readonly tableName: string;
  /** The account of the Data Catalog. Default: the caller's. */
  readonly catalogId?: string | undefined;
  /** A table version (`GetTableVersion`), or `undefined` / `LATEST` for the current table (`GetTable`). */
  readonly versionId?: string | undefined;
}

/** A column of a Glue table, as `StorageDescriptor.Columns` lists it: a name and a Hive type such as `decimal(10,2)`. */
export interface GlueColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * Reads the columns of a Glue table (`StorageDescriptor.Columns`, in order) with `GetTable`, or with
 * `GetTableVersion` when a version other than `LATEST` is asked for, as Firehose reads the schema of a
 * record format conversion. The AWS SDK's errors pass unchanged (`EntityNotFoundException` for a database,
 * table or version that does not exist); a table without columns is an `Error`.
 */
export async function glueTableColumns(client: Pick<GlueClient, 'send'>, ref: GlueTableRef): Promise<GlueColumn[]> {
  const { GetTableCommand, GetTableVersionCommand } = await glue();
  const catalog = ref.catalogId === undefined ? {} : { CatalogId: ref.catalogId };
  const table =
    ref.versionId === undefined || ref.versionId === 'LATEST'
      ? (await client.send(new GetTableCommand({ ...catalog, DatabaseName: ref.databaseName, Name: ref.tableName }))).Table
      : (
          await client.send(
            new GetTableVersionCommand({ ...catalog, DatabaseName: ref.databaseName, TableName: ref.tableName, VersionId: ref.versionId }),
          )
        ).TableVersion?.Table;
  const columns = table?.StorageDescriptor?.Columns ?? [];
  if (columns.length === 0) throw new Error(`Glue table ${ref.databaseName}.${ref.tableName} has no columns (StorageDescriptor.Columns)`);
  return columns.map((c) => ({ name: c.Name ?? '', type: c.Type ?? '' }));
}
