import { compress } from '../../codecs/compress.js';
import { objectName } from '../../keys/objectName.js';
import type { ObjectStoreLayout } from './objectStoreOptions.js';
import { seededRandomStrings, uuidFromSeed } from './seededNames.js';

/**
 * One object's key and bytes: `prefixOf(random)` + `<stream>-<version>-<time>-<uuid><ext>`, the uuid and
 * the prefix's random strings derived from `seed`, the chunks concatenated and compressed (a ZIP entry is
 * named like the object, without its extension).
 */
export async function layOutObject(
  layout: ObjectStoreLayout,
  arrivalMs: number,
  seed: string,
  prefixOf: (random: () => string) => string,
  chunks: readonly Uint8Array[],
): Promise<{ key: string; body: Uint8Array }> {
  const name = objectName({
    streamName: layout.streamName,
    streamVersion: layout.streamVersion,
    arrivalMs,
    random: () => uuidFromSeed(seed),
    extension: layout.extension,
  });
  const body = await compress(layout.compression, chunks, {
    gzipLevel: layout.gzipLevel,
    zipEntryName: layout.extension === '' ? name : name.slice(0, -layout.extension.length),
  });
  return { key: prefixOf(seededRandomStrings(seed)) + name, body };
}
