import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../src/codecs/crc32c.js';
import { ensureOracles, python, PYTHON_SNAPPY, SNAPPY_PRELUDE } from './oracles.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  beforeAll(() => ensureOracles(PYTHON_SNAPPY)); // for crcmod

  it('should match the published check value and the RFC 3720 §B.4 vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // 32 bytes of zeros
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43); // 32 bytes of ones
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e); // incrementing
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c); // decrementing
    // An iSCSI SCSI Read (10) command PDU, RFC 3720 §B.4.
    const pdu = Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00,
    ]);
    expect(crc32c(pdu)).toBe(0xd9963a56);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('should be an unsigned 32-bit number', () => {
    const value = crc32c(ascii('123456789'));
    expect(value).toBeGreaterThan(0x7fffffff);
    expect(Number.isInteger(value)).toBe(true);
  });

  it('should continue a checksum across pieces, at any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, at) => {
        const cut = bytes.length === 0 ? 0 : at % (bytes.length + 1);
        expect(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut)))).toBe(crc32c(bytes));
      }),
    );
  });

  it("should agree with crcmod's crc-32c on random inputs of every length mod 8 and unaligned views", () => {
    const inputs: Uint8Array[] = [];
    for (let n = 0; n < 40; n++) inputs.push(randomBytes(n));
    for (const n of [255, 256, 4097, 65_536, 65_537, 1_000_003]) inputs.push(randomBytes(n));
    const big = randomBytes(100_003);
    for (const start of [1, 2, 3, 5, 7]) inputs.push(big.subarray(start, start + 50_001)); // odd byteOffsets
    const expected = python(
      SNAPPY_PRELUDE +
        `
import json, base64
print(json.dumps([crc32c(base64.b64decode(s)) for s in json.load(sys.stdin)]))
`,
      Buffer.from(JSON.stringify(inputs.map((b) => Buffer.from(b).toString('base64')))),
    );
    expect(inputs.map((b) => crc32c(b))).toEqual(JSON.parse(expected.toString('utf8')));
  });
});
