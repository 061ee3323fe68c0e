import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { OpenSearchBulkServer } from '../../support/openSearchBulkServer.js';
import { testResources } from './support.js';

// The test server stands in for OpenSearch's _bulk API: these tests pin down that it answers as the API's
// description says, so that tests of the destination against it mean something.

const { start } = testResources();
const bulk = async (
  s: OpenSearchBulkServer,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/x-ndjson' },
  path = '/_bulk',
) => {
  const res = await fetch(`${s.endpoint}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  return {
    status: res.status,
    json:
      text === ''
        ? undefined
        : (JSON.parse(text) as {
            errors?: boolean;
            items?: Array<Record<string, { status: number; result?: string; _id?: string; error?: { type: string } }>>;
            error?: { type: string; reason: string };
            message?: string;
          }),
  };
};
const ndjson = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l) + '\n').join('');

describe('OpenSearch _bulk test server', () => {
  it('should index documents and answer per item: created, then updated with the next version', async () => {
    const s = await start();
    const first = await bulk(s, ndjson({ index: { _index: 'logs', _id: '1' } }, { n: 1 }, { index: { _index: 'logs' } }, { n: 2 }));
    expect(first.status).toBe(200);
    expect(first.json!.errors).toBe(false);
    expect(first.json!.items!.map((i) => [i.index!.status, i.index!.result])).toEqual([
      [201, 'created'],
      [201, 'created'],
    ]);
    const again = await bulk(s, ndjson({ index: { _index: 'logs', _id: '1' } }, { n: 3 }));
    expect(again.json!.items![0]!.index).toMatchObject({ status: 200, result: 'updated', _version: 2 });
    expect(
      s
        .documents('logs')
        .map((d) => d.source)
        .sort(),
    ).toEqual(['{"n":2}', '{"n":3}']);
    expect(s.document('logs', '1')).toMatchObject({ source: '{"n":3}', version: 2 });
  });

  it('should take the index from the path when the action has none', async () => {
    const s = await start();
    await bulk(s, ndjson({ index: {} }, { a: 1 }), undefined, '/from-path/_bulk');
    expect(s.indices()).toEqual(['from-path']);
  });

  it('should fail single items with 400 for a document that is not an object, a mapping conflict or a bad index name, and say errors: true', async () => {
    const s = await start();
    const { json } = await bulk(
      s,
      ndjson({ index: { _index: 'logs' } }, { n: 1 }) +
        '{"index":{"_index":"logs"}}\nnot json\n' +
        ndjson({ index: { _index: 'logs' } }, { n: 'abc' }, { index: { _index: 'Logs' } }, { n: 1 }, { index: { _index: 'logs' } }, [1]),
    );
    expect(json!.errors).toBe(true);
    expect(json!.items!.map((i) => [i.index!.status, i.index!.error?.type])).toEqual([
      [201, undefined],
      [400, 'mapper_parsing_exception'],
      [400, 'mapper_parsing_exception'],
      [400, 'invalid_index_name_exception'],
      [400, 'mapper_parsing_exception'],
    ]);
    expect(s.documents()).toHaveLength(1);
  });

  it('should refuse create on an existing id with 409', async () => {
    const s = await start();
    await bulk(s, ndjson({ create: { _index: 'a', _id: 'x' } }, {}));
    const { json } = await bulk(s, ndjson({ create: { _index: 'a', _id: 'x' } }, {}));
    expect(json!.items![0]!.create).toMatchObject({ status: 409, error: { type: 'version_conflict_engine_exception' } });
  });

  it('should answer 429 for the configured share of items, spread evenly', async () => {
    const s = await start({ throttledShare: 0.25 });
    const lines = Array.from({ length: 8 }, (_, n) => ndjson({ index: { _index: 'a', _id: String(n) } }, { n })).join('');
    const { json } = await bulk(s, lines);
    expect(json!.items!.map((i) => i.index!.status)).toEqual([201, 201, 201, 429, 201, 201, 201, 429]);
    expect(json!.items![3]!.index!.error!.type).toBe('rejected_execution_exception');
    expect(
      s
        .documents()
        .map((d) => d.id)
        .sort(),
    ).toEqual(['0', '1', '2', '4', '5', '6']);
  });

  it('should fail the whole request with 400 for a body without the final newline, a malformed action line, or _type', async () => {
    const s = await start();
    expect((await bulk(s, '{"index":{"_index":"a"}}\n{}')).json!.error!.reason).toBe(
      'The bulk request must be terminated by a newline [\\n]',
    );
    expect((await bulk(s, '{"index":{"_index":"a"}\n{}\n')).status).toBe(400);
    expect((await bulk(s, ndjson({ upsert: { _index: 'a' } }, {}))).json!.error!.reason).toContain(
      'expected one of [create, delete, index, update]',
    );
    const typed = await bulk(s, ndjson({ index: { _index: 'a', _type: 't' } }, {}));
    expect([typed.status, typed.json!.error!.reason]).toEqual([400, 'Action/metadata line [1] contains an unknown parameter [_type]']);
    expect(s.documents()).toEqual([]);
    const es6 = await start({ allowTypes: true });
    expect((await bulk(es6, ndjson({ index: { _index: 'a', _type: 't' } }, {}))).status).toBe(200);
  });

  it('should answer 413 with an empty body for a body over the limit, and 406 for another content type', async () => {
    const s = await start({ maxBodyBytes: 100 });
    const big = await bulk(s, ndjson({ index: { _index: 'a' } }, { pad: 'x'.repeat(100) }));
    expect([big.status, big.json]).toEqual([413, undefined]);
    expect((await bulk(s, ndjson({ index: { _index: 'a' } }, {}), { 'content-type': 'text/plain' })).status).toBe(406);
    expect(s.documents()).toEqual([]);
  });

  it('should check SigV4 signatures by recomputing them, and the payload hash', async () => {
    const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
    const s = await start({ auth: { sigv4: { ...credentials, region: 'us-east-1', service: 'es' } } });
    const url = new URL('/_bulk', s.endpoint);
    const body = ndjson({ index: { _index: 'a' } }, { n: 1 });
    const signedWith = async (secretAccessKey: string, service = 'es') =>
      (
        await new SignatureV4({ credentials: { ...credentials, secretAccessKey }, region: 'us-east-1', service, sha256: Sha256 }).sign({
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: '/_bulk',
          query: {},
          headers: { host: url.host, 'content-type': 'application/json' },
          body,
        })
      ).headers;
    expect((await bulk(s, body, await signedWith('secret'))).status).toBe(200);
    const wrongKey = await bulk(s, body, await signedWith('other'));
    expect([wrongKey.status, wrongKey.json!.message]).toEqual([403, expect.stringContaining('signature we calculated does not match')]);
    expect((await bulk(s, body, await signedWith('secret', 'aoss'))).status).toBe(403);
    expect((await bulk(s, body.replace('1', '2'), await signedWith('secret'))).status).toBe(403);
    expect((await bulk(s, body, { 'content-type': 'application/json' })).json).toEqual({ message: 'Missing Authentication Token' });
    expect(s.documents()).toHaveLength(1);
  });

  it('should check basic auth', async () => {
    const s = await start({ auth: { basic: { username: 'admin', password: 'pw' } } });
    const body = ndjson({ index: { _index: 'a' } }, {});
    expect(
      (await bulk(s, body, { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` }))
        .status,
    ).toBe(200);
    expect(
      (await bulk(s, body, { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('admin:no').toString('base64')}` }))
        .status,
    ).toBe(401);
  });
});
