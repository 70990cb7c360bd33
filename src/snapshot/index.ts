// The snapshot folder's import surface.
export { applyLayer, type ApplyOptions, type ApplyResult } from './apply.js';
