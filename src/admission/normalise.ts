// Removes what no human changed, so patches and diffs show only real edits. Pure; never mutates its input.
import { isObject, type JsonObject } from '../event.ts';

export interface NormaliseOptions {
  dropManagedFields: boolean;
  dropResourceVersion: boolean;
  dropGeneration: boolean;
  dropStatus: boolean;
}

export const DEFAULT_NORMALISE_OPTIONS: NormaliseOptions = {
  dropManagedFields: true,
  dropResourceVersion: true,
  dropGeneration: true,
  dropStatus: true,
};

export function normaliseObject(object: JsonObject, options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS): JsonObject {
  const result: JsonObject = { ...object };
  if (options.dropStatus) delete result['status'];
  const metadata = result['metadata'];
  if (isObject(metadata)) {
    const cleanMetadata: JsonObject = { ...metadata };
    if (options.dropManagedFields) delete cleanMetadata['managedFields'];
    if (options.dropResourceVersion) delete cleanMetadata['resourceVersion'];
    if (options.dropGeneration) delete cleanMetadata['generation'];
    result['metadata'] = cleanMetadata;
  }
  return result;
}
