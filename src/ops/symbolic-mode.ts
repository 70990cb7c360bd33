// `COPY --chmod=u+x,g-w`: chmod(1)'s symbolic modes, applied to each copied entry's own mode
// (BuildKit's copy with a mode string). Clauses apply in order; a clause without `ugoa` applies
// to all (no umask: a build has none to honour); `X` is execute for directories and for files
// someone may already execute; `u`, `g`, `o` after the operator copy that class's bits.
import { KilnError } from '../util/errors.js';

const clause = /^([ugoa]*)([+=-][rstwxXugo]*)+$/;
const action = /[+=-][rstwxXugo]*/g;

/** Bits each class owns: its rwx, and the special bit that goes with it. */
const classBits: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

function whoMask(who: string): number {
  if (who === '') return classBits['a'] as number;
  return [...who].reduce((mask, c) => mask | (classBits[c] as number), 0);
}

function permBits(perms: string, mode: number, isDir: boolean): number {
  let bits = 0;
  for (const p of perms) {
    if (p === 'r') bits |= 0o444;
    else if (p === 'w') bits |= 0o222;
    else if (p === 'x') bits |= 0o111;
    else if (p === 'X') bits |= isDir || (mode & 0o111) !== 0 ? 0o111 : 0;
    else if (p === 's') bits |= 0o6000;
    else if (p === 't') bits |= 0o1000;
    else if (p === 'u') bits |= ((mode >> 6) & 0o7) * 0o111;
    else if (p === 'g') bits |= ((mode >> 3) & 0o7) * 0o111;
    else if (p === 'o') bits |= (mode & 0o7) * 0o111;
  }
  return bits;
}

/** The mode `spec` makes of `mode` (permission and special bits only). */
export function applySymbolicMode(spec: string, mode: number, isDir: boolean): number {
  let out = mode & 0o7777;
  for (const part of spec.split(',')) {
    const match = clause.exec(part);
    if (match === null) throw new KilnError('INVALID_ARGUMENT', `invalid symbolic mode "${spec}"`, { hint: 'e.g. u+x,go-w or a=rX' });
    const mask = whoMask(match[1] ?? '');
    for (const [text] of part.slice((match[1] ?? '').length).matchAll(action)) {
      const bits = permBits(text.slice(1), out, isDir) & mask;
      if (text[0] === '+') out |= bits;
      else if (text[0] === '-') out &= ~bits;
      else out = (out & ~mask) | bits;
    }
  }
  return out;
}
