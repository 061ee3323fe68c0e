/**
 * A Redshift test stand-in (not Redshift): a proxy on 127.0.0.1, written from the public descriptions of
 * PostgreSQL's frontend/backend protocol (Redshift speaks it) and of Redshift's `COPY … FROM 's3://…'
 * MANIFEST`, in front of a real PostgreSQL.
 *
 * Every byte passes through to PostgreSQL unchanged, except a simple-protocol query (`Q`) that is a COPY
 * from S3. That one the stand-in runs itself, on the same session (so transactions hold):
 *  1. it reads the manifest (`{"entries":[{"url","mandatory"}]}`) and every object it lists from the S3
 *     server (a real RADOS Gateway in the tests), gunzips them with `GZIP`;
 *  2. it sends PostgreSQL `COPY <table> (<columns>) FROM STDIN` instead, and when PostgreSQL asks for the
 *     data (CopyInResponse, which the client never sees) it sends the rows as CopyData, then CopyDone;
 *  3. PostgreSQL's answer (CommandComplete `COPY n`, or its ErrorResponse for a missing table or column or a
 *     bad value) goes back to the client as it is. When S3 fails (a missing manifest or a missing mandatory
 *     object), the stand-in sends CopyFail, and PostgreSQL answers with an error naming the S3 failure.
 *
 * Formats: `JSON 'auto'` (objects, concatenated or one per line; fields matched to columns by name, case
 * insensitive; nested values as JSON text) and delimited text (`DELIMITER 'c'`, default `|`). Other COPY
 * options are ignored. `CREDENTIALS`/`IAM_ROLE` are accepted and ignored (no IAM here). Every statement the
 * clients sent is kept in `statements`, in order.
 */
import { gunzipSync } from 'node:zlib';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';

export interface RedshiftStandIn {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: connect a `pg` pool here as to a cluster. */
  readonly url: string;
  readonly port: number;
  /** Every simple-protocol statement received, in order. */
  readonly statements: string[];
  /** Makes the next `n` COPY-from-S3 statements fail, as a cluster in maintenance would (SQLSTATE 57P03). */
  failNextCopies(n: number): void;
  /**
   * Holds every COPY from S3 that arrives from now on (a slow cluster) until the returned function is called;
   * `copiesHeld()` tells how many wait. A held COPY whose client went away is dropped (PostgreSQL never sees it).
   */
  holdCopies(): () => void;
  copiesHeld(): number;
  stop(): Promise<void>;
}

interface ParsedCopy {
  readonly table: string;
  readonly columns: string | undefined;
  readonly bucket: string;
  readonly key: string;
  readonly json: boolean;
  readonly gzip: boolean;
  readonly delimiter: string;
}

const COPY_FROM_S3 = /^\s*COPY\s+((?:"[^"]*"|[^\s(])+)\s*(\(([^)]*)\))?\s*FROM\s+'s3:\/\/([^/']+)\/((?:[^']|'')+)'([\s\S]*?);?\s*$/i;

function parseCopy(sql: string): ParsedCopy | undefined {
  const m = COPY_FROM_S3.exec(sql);
  if (m === null) return undefined;
  const rest = m[6]!;
  if (!/\bMANIFEST\b/i.test(rest)) throw new Error('the Redshift stand-in runs only COPY … MANIFEST');
  return {
    table: m[1]!,
    columns: m[3],
    bucket: m[4]!,
    key: m[5]!.replaceAll("''", "'"),
    json: /\bJSON\s+'auto'/i.test(rest),
    gzip: /\bGZIP\b/i.test(rest),
    delimiter: /\bDELIMITER\s+(?:AS\s+)?'([^']+)'/i.exec(rest)?.[1] ?? '|',
  };
}

/** One message of the protocol: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

/** Splits concatenated JSON values (objects one after the other, with or without newlines). */
function jsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === '}' || c === ']') {
      if (--depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values;
}

const escapeText = (s: string): string =>
  s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
function textField(v: unknown): string {
  if (v === undefined || v === null) return '\\N';
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return escapeText(JSON.stringify(v));
}

/** Starts the stand-in in front of PostgreSQL at `postgresPort`, reading S3 with `s3`. */
export async function startRedshiftStandIn(options: { postgresPort: number; s3: S3Client }): Promise<RedshiftStandIn> {
  const { postgresPort, s3 } = options;
  const statements: string[] = [];
  const sockets = new Set<Socket>();
  let failing = 0;
  let hold: Promise<void> | undefined;
  let held = 0;
  // A side connection for the table's columns (JSON 'auto' without a column list).
  const side = new pg.Client({ host: '127.0.0.1', port: postgresPort, user: 'postgres', database: 'postgres' });
  await side.connect();
  side.on('error', () => undefined);

  const readObject = async (bucket: string, key: string): Promise<Buffer> => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  };

  /** The rows of COPY FROM STDIN (text format) for a COPY from S3, and the statement to run. */
  const prepare = async (copy: ParsedCopy): Promise<{ statement: string; rows: Buffer }> => {
    let manifest: { entries?: Array<{ url?: string; mandatory?: boolean }> };
    try {
      manifest = JSON.parse((await readObject(copy.bucket, copy.key)).toString('utf8'));
    } catch (err) {
      throw new Error(
        `S3ServiceException: cannot read the manifest s3://${copy.bucket}/${copy.key}: ${(err as Error).name} ${(err as Error).message}`,
      );
    }
    const chunks: Buffer[] = [];
    for (const entry of manifest.entries ?? []) {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(entry.url ?? '');
      if (m === null) throw new Error(`Manifest entry is not an s3:// URL: ${entry.url}`);
      try {
        const body = await readObject(m[1]!, m[2]!);
        chunks.push(copy.gzip ? gunzipSync(body) : body);
      } catch (err) {
        if (entry.mandatory === true)
          throw new Error(`S3ServiceException: mandatory object ${entry.url} cannot be read: ${(err as Error).name}`);
      }
    }
    const data = Buffer.concat(chunks).toString('utf8');
    const columnList = copy.columns === undefined ? '' : ` (${copy.columns})`;
    if (!copy.json) {
      const delimiter = copy.delimiter.replaceAll("'", "''");
      return {
        statement: `COPY ${copy.table}${columnList} FROM STDIN WITH (FORMAT text, DELIMITER '${delimiter}')`,
        rows: Buffer.from(data, 'utf8'),
      };
    }
    let columns: string[];
    if (copy.columns !== undefined) columns = copy.columns.split(',').map((c) => c.trim().replace(/^"|"$/g, '').replaceAll('""', '"'));
    else {
      const name = copy.table.replace(/^"|"$/g, '').split('"."').pop()!;
      const { rows } = await side.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
        [name],
      );
      columns = rows.map((r) => r.column_name);
    }
    const lines = jsonValues(data).map((value) => {
      const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
      const lower = new Map(Object.entries(object).map(([k, v]) => [k.toLowerCase(), v]));
      return `${columns.map((c) => textField(lower.get(c.toLowerCase()))).join('\t')}\n`;
    });
    return { statement: `COPY ${copy.table}${columnList} FROM STDIN`, rows: Buffer.from(lines.join(''), 'utf8') };
  };

  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(postgresPort, '127.0.0.1');
    sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => (sockets.delete(client), upstream.destroy()));
    upstream.on('close', () => (sockets.delete(upstream), client.destroy()));
    client.on('error', close);
    upstream.on('error', close);

    let fromClient = Buffer.alloc(0);
    let startedUp = false;
    // While the stand-in runs a COPY from S3: what to do with PostgreSQL's messages.
    let intercept: { rows: Buffer | undefined; failure: string | undefined; sentData: boolean } | undefined;
    let fromServer = Buffer.alloc(0);
    let busy = false;

    const sendData = (): void => {
      if (intercept === undefined || intercept.sentData) return;
      intercept.sentData = true;
      if (intercept.failure !== undefined) upstream.write(message('f', cstring(intercept.failure)));
      else {
        const rows = intercept.rows!;
        for (let o = 0; o < rows.length; o += 65_536) upstream.write(message('d', rows.subarray(o, Math.min(rows.length, o + 65_536))));
        upstream.write(message('c', Buffer.alloc(0)));
      }
    };

    upstream.on('data', (chunk: Buffer) => {
      if (intercept === undefined) {
        client.write(chunk);
        return;
      }
      fromServer = Buffer.concat([fromServer, chunk]);
      while (fromServer.length >= 5) {
        const length = fromServer.readInt32BE(1);
        if (fromServer.length < length + 1) break;
        const msg = fromServer.subarray(0, length + 1);
        fromServer = fromServer.subarray(length + 1);
        const type = String.fromCharCode(msg[0]!);
        if (type === 'G') {
          sendData(); // CopyInResponse: PostgreSQL wants the rows; the client never asked for it.
          continue;
        }
        client.write(msg);
        if (type === 'Z') {
          // ReadyForQuery: the COPY is over; pass everything through again.
          intercept = undefined;
          const rest = fromServer;
          fromServer = Buffer.alloc(0);
          if (rest.length > 0) client.write(rest);
          busy = false;
          pump();
          return;
        }
      }
    });

    const pump = (): void => {
      while (!busy) {
        if (!startedUp) {
          if (fromClient.length < 8) return;
          const length = fromClient.readInt32BE(0);
          if (fromClient.length < length) return;
          const code = fromClient.readInt32BE(4);
          upstream.write(fromClient.subarray(0, length));
          fromClient = fromClient.subarray(length);
          // An SSLRequest or GSSENCRequest is followed by the real startup message.
          if (code !== 80877103 && code !== 80877104) startedUp = true;
          continue;
        }
        if (fromClient.length < 5) return;
        const length = fromClient.readInt32BE(1);
        if (fromClient.length < length + 1) return;
        const msg = fromClient.subarray(0, length + 1);
        fromClient = fromClient.subarray(length + 1);
        if (msg[0] !== 0x51 /* Q */) {
          upstream.write(msg);
          continue;
        }
        const sql = msg.subarray(5, msg.length - 1).toString('utf8');
        statements.push(sql);
        let copy: ParsedCopy | undefined;
        try {
          copy = parseCopy(sql);
        } catch (err) {
          upstream.write(message('Q', cstring(`DO $$ BEGIN RAISE EXCEPTION '%', ${pg.escapeLiteral((err as Error).message)}; END $$`)));
          continue;
        }
        if (copy === undefined) {
          upstream.write(msg);
          continue;
        }
        busy = true;
        const parsed = copy;
        void (async () => {
          if (hold !== undefined) {
            held++;
            await hold;
            held--;
            if (client.destroyed) return;
          }
          if (failing > 0) {
            failing--;
            upstream.write(
              message(
                'Q',
                cstring(`DO $$ BEGIN RAISE EXCEPTION 'the cluster is in maintenance (Redshift stand-in)' USING ERRCODE = '57P03'; END $$`),
              ),
            );
            intercept = { rows: undefined, failure: undefined, sentData: true };
            return;
          }
          let statement = `COPY ${parsed.table}${parsed.columns === undefined ? '' : ` (${parsed.columns})`} FROM STDIN`;
          try {
            const prepared = await prepare(parsed);
            statement = prepared.statement;
            intercept = { rows: prepared.rows, failure: undefined, sentData: false };
          } catch (err) {
            intercept = { rows: undefined, failure: (err as Error).message, sentData: false };
          }
          upstream.write(message('Q', cstring(statement)));
        })();
      }
    };

    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      pump();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    statements,
    failNextCopies: (n) => void (failing += n),
    holdCopies: () => {
      let release: () => void = () => undefined;
      hold = new Promise<void>((resolve) => (release = resolve));
      return () => {
        hold = undefined;
        release();
      };
    },
    copiesHeld: () => held,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await side.end().catch(() => undefined);
    },
  };
}
