import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listenOnLoopback.js';

/** A Glue table as the test server holds it: its versions, oldest first (version ids "1", "2", …). */
export interface GlueTestTable {
  readonly databaseName: string;
  readonly name: string;
  /** The columns of each version, oldest first: `[{ Name, Type }]` with Hive types. */
  readonly versions: ReadonlyArray<ReadonlyArray<{ Name: string; Type: string }>>;
  /** The Data Catalog (account) holding it. Default `123456789012`. */
  readonly catalogId?: string;
}

/** One request the test server answered: its operation, its JSON body and its SigV4 credential scope. */
export interface GlueTestRequest {
  readonly target: string;
  readonly body: Record<string, unknown>;
  /** `<date>/<region>/glue/aws4_request`, from the Authorization header. */
  readonly scope: string | undefined;
}

/**
 * A TEST SERVER for the two AWS Glue Data Catalog operations that read a table's schema, written from the
 * public API description of Glue (not a real Glue: none can be had offline). It speaks Glue's protocol,
 * AWS JSON 1.1: `POST /` with `X-Amz-Target: AWSGlue.GetTable` or `AWSGlue.GetTableVersion` and a JSON
 * body; answers `{ Table }` / `{ TableVersion: { Table, VersionId } }` with `StorageDescriptor.Columns`;
 * errors are HTTP 400 with `{ "__type": "EntityNotFoundException", "Message" }` (an unknown catalog,
 * database, table or version), `InvalidInputException` (a required field missing) or
 * `UnknownOperationException` (any other target), as the real service answers. Signatures are not
 * checked; the credential scope is recorded, so tests can see the region a client signed for.
 */
export async function startGlueGetTableTestServer(tables: readonly GlueTestTable[]): Promise<{
  readonly endpoint: string;
  readonly requests: GlueTestRequest[];
  stop(): Promise<void>;
}> {
  const requests: GlueTestRequest[] = [];
  const server = createServer((req, res) => {
    void answer(req, res);
  });
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const scope = /Credential=[^/]+\/([^,]+),/.exec(String(req.headers.authorization ?? ''))?.[1];
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail(res, 'SerializationException', 'The request body is not JSON.');
    }
    requests.push({ target, body, scope });
    if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return fail(res, 'UnknownOperationException', 'Glue takes POST requests of application/x-amz-json-1.1.');
    const operation = target.startsWith('AWSGlue.') ? target.slice('AWSGlue.'.length) : '';
    if (operation !== 'GetTable' && operation !== 'GetTableVersion')
      return fail(res, 'UnknownOperationException', `Unknown operation ${target}.`);
    const tableName = operation === 'GetTable' ? body.Name : body.TableName;
    const nameField = operation === 'GetTable' ? 'name' : 'tableName';
    if (typeof body.DatabaseName !== 'string' || typeof tableName !== 'string')
      return fail(
        res,
        'InvalidInputException',
        `1 validation error detected: Value null at '${nameField}' failed to satisfy constraint: Member must not be null`,
      );
    const catalogId = typeof body.CatalogId === 'string' ? body.CatalogId : '123456789012';
    const inCatalog = tables.filter((t) => (t.catalogId ?? '123456789012') === catalogId);
    if (!inCatalog.some((t) => t.databaseName === body.DatabaseName))
      return fail(res, 'EntityNotFoundException', `Database ${body.DatabaseName} not found.`);
    const table = inCatalog.find((t) => t.databaseName === body.DatabaseName && t.name === tableName);
    if (table === undefined) return fail(res, 'EntityNotFoundException', `Table ${tableName} not found.`);
    const latest = table.versions.length;
    const version = operation === 'GetTable' || body.VersionId === undefined ? latest : Number(body.VersionId);
    if (!Number.isInteger(version) || version < 1 || version > latest)
      return fail(res, 'EntityNotFoundException', `Version ${String(body.VersionId)} of table ${tableName} not found.`);
    const described = {
      Name: table.name,
      DatabaseName: table.databaseName,
      CatalogId: catalogId,
      CreateTime: 1_764_633_600,
      UpdateTime: 1_764_633_600 + version,
      TableType: 'EXTERNAL_TABLE',
      VersionId: String(version),
      StorageDescriptor: {
        Columns: table.versions[version - 1],
        Location: `s3://lake/${table.name}/`,
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
      PartitionKeys: [],
    };
    const out = operation === 'GetTable' ? { Table: described } : { TableVersion: { Table: described, VersionId: String(version) } };
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests.length}` });
    res.end(JSON.stringify(out));
  };
  const loopback = await listenOnLoopback(server);
  return { endpoint: loopback.endpoint, requests, stop: () => loopback.stop() };
}

function fail(res: ServerResponse, type: string, message: string): void {
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': 'req-error' });
  res.end(JSON.stringify({ __type: type, Message: message }));
}
