// "Did you mean ...?": the nearest valid name by edit distance, with BuildKit's threshold
// (util/suggest: a distance below 3, and an exact match means the value was not the problem).

export function editDistance(a: string, b: string): number {
  const from = [...a];
  const to = [...b];
  let previous = Array.from({ length: to.length + 1 }, (_, i) => i);
  for (let i = 1; i <= from.length; i++) {
    const current = [i];
    for (let j = 1; j <= to.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (from[i - 1] === to[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[to.length] ?? 0;
}

/**
 * The option closest to `value`, or undefined when none is close enough. Without case
 * sensitivity the suggestion takes the casing of what was typed (`runn` suggests `run`).
 */
export function suggest(value: string, options: readonly string[], caseSensitive = true): string | undefined {
  const typed = caseSensitive ? value : value.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of options) {
    const candidate = caseSensitive ? option : option.toLowerCase();
    if (candidate === typed) return undefined;
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = caseSensitive ? option : matchCase(candidate, value);
      bestDistance = distance;
    }
  }
  return best;
}

/** `did you mean X?`, or undefined when nothing is close. */
export function didYouMean(value: string, options: readonly string[], caseSensitive = true): string | undefined {
  const match = suggest(value, options, caseSensitive);
  return match === undefined ? undefined : `did you mean ${match}?`;
}

/** Joins hint phrases, skipping the missing ones: `did you mean X? valid: a, b; other`. */
export function joinHints(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  if (present.length === 0) return undefined;
  return present.reduce((text, part) => `${text}${text.endsWith('?') ? ' ' : '; '}${part}`);
}

function matchCase(option: string, typed: string): string {
  if (typed === typed.toLowerCase()) return option.toLowerCase();
  if (typed === typed.toUpperCase()) return option.toUpperCase();
  return option;
}
