// The entries a wildcard COPY source names: each path element is matched against the children
// of the directories the elements before it matched, so `src/*/x` never lists the whole
// context. Matches come out element by element in byte order (walk order), the order their
// keys combine in.
import type { ContextIndex } from './context-index.js';
import { compileElement, containsWildcards } from './wildcard.js';

export function matchWildcard(index: ContextIndex, pattern: string): string[] {
  let matched = [''];
  for (const element of pattern.split('/')) {
    const next: string[] = [];
    const test = containsWildcards(element) ? compileElement(element) : undefined;
    const literal = unescapeElement(element);
    for (const dir of matched) {
      const entry = index.get(dir);
      if (entry?.type !== 'dir') continue;
      const names = test === undefined ? entry.children.filter((name) => name === literal) : entry.children.filter((name) => test.test(name));
      for (const name of names) next.push(dir === '' ? name : `${dir}/${name}`);
    }
    matched = next;
  }
  return matched;
}

// An element without wildcards may still escape a character (`a\\*b` only when the whole path
// had a wildcard elsewhere); filepath.Match compares it unescaped.
function unescapeElement(element: string): string {
  return element.replace(/\\(.)/gsu, '$1');
}
