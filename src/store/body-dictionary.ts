// zstd dictionaries for stored event bodies. Small JSON bodies compress two to three times better against a
// dictionary of typical Kubernetes objects. Each row records the dictionary it was written with (0 = none), so
// old rows stay readable when a new dictionary becomes current.
import { Decoder } from '@toondepauw/node-zstd';
import { BODY_DICTIONARY_V1 } from './body-dictionary-v1.ts';

export const BODY_DICTIONARIES: ReadonlyMap<number, Buffer> = new Map([[1, BODY_DICTIONARY_V1]]);
export const CURRENT_BODY_DICTIONARY = 1;

export function bodyDictionary(id: number): Buffer | undefined {
  if (id === 0) return undefined;
  const dictionary = BODY_DICTIONARIES.get(id);
  if (!dictionary) throw new Error(`event body written with zstd dictionary ${id}, which this version does not know; upgrade logistis`);
  return dictionary;
}

// One decoder per dictionary for the thread's life: node:zlib's zstdDecompressSync loads the dictionary on every
// call, which cost more than decoding a body (about 25 µs against 15 µs a row: a history of 5,000 events reads
// 50 ms faster).
const decoders = new Map<number, Decoder>();

/** The JSON text of a stored body. */
export function decompressBody(body: Uint8Array, dictionaryId: number): string {
  let decoder = decoders.get(dictionaryId);
  if (!decoder) decoders.set(dictionaryId, (decoder = new Decoder(bodyDictionary(dictionaryId))));
  return decoder.decodeSync(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('utf8');
}
