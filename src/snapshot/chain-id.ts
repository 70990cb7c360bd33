// OCI chain IDs (image-spec config.md, "Layer ChainID"): the identity of a stack of layers,
// so that two images sharing their bottom layers share the unpacked snapshots of them too.
import { digestBytes, type Digest } from '../content/digest.js';

/** chainID(0) = diffID(0); chainID(n) = sha256(chainID(n-1) + " " + diffID(n)). */
export function chainIds(diffIds: Digest[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffId of diffIds) {
    const below = chain.at(-1);
    chain.push(below === undefined ? diffId : digestBytes(`${below} ${diffId}`));
  }
  return chain;
}
