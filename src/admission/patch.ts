// RFC 6902 patches between normalised objects, always from the previous state to the new one: the history
// module's, which every reader of a history shares.
export { applyPatch, computePatch, creationPatch } from '../history/patch.ts';
