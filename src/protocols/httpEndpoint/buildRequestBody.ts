import { Buffer } from 'node:buffer';
import { compress } from '../../codecs/compress.js';
import { base64Length, RECORD_OVERHEAD_BYTES } from './protocol.js';

/** What a request body holds: its id and its records' bytes, in order. */
export interface RequestBodyContent {
  readonly requestId: string;
  readonly items: readonly { readonly data: Uint8Array }[];
}

const RECORD_OPEN = '{"data":"';
const RECORD_CLOSE = '"}';

/**
 * The body of one request, exactly as the protocol has it:
 * `{"requestId":"…","timestamp":<ms>,"records":[{"data":"<base64>"},…]}`, gzipped when `gzip` is set.
 *
 * The JSON is written straight into one buffer of the exact size (base64 needs no escaping), so a 64 MiB
 * body costs one allocation, not a string concatenation.
 */
export async function buildRequestBody(request: RequestBodyContent, timestampMs: number, gzip: boolean): Promise<Uint8Array> {
  const head = `{"requestId":${JSON.stringify(request.requestId)},"timestamp":${Math.trunc(timestampMs)},"records":[`;
  let size = head.length + 2;
  for (const { data } of request.items) size += RECORD_OVERHEAD_BYTES + base64Length(data.byteLength);
  size += Math.max(0, request.items.length - 1);

  const body = Buffer.allocUnsafe(size);
  let at = body.write(head, 0, 'latin1');
  request.items.forEach(({ data }, i) => {
    if (i > 0) at = body.writeUInt8(0x2c, at); // ','
    at += body.write(RECORD_OPEN, at, 'latin1');
    at += body.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), at, 'latin1');
    at += body.write(RECORD_CLOSE, at, 'latin1');
  });
  at += body.write(']}', at, 'latin1');
  if (at !== size) throw new Error(`buildRequestBody: wrote ${at} bytes of ${size}`);
  return gzip ? compress('GZIP', [body]) : body;
}
