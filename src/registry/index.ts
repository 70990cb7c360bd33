// The registry client's import surface.
export {
  parseReference, parseNormalizedReference, withDefaultTag, formatReference, familiarName,
  repositoryName, registryHost, type Reference,
} from './reference.js';
