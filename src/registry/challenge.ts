// WWW-Authenticate challenges (RFC 9110 section 11.6.1): a registry answers 401 with one or
// more `scheme param=value, ...` challenges, and a Bearer challenge's parameters (realm,
// service, scope) say where to fetch a token. Values may be quoted strings holding commas
// and escaped quotes, e.g. `scope="repository:a/b:pull,push"`, so the header is scanned
// character by character rather than split on commas.

export interface Challenge {
  /** Lower-cased auth scheme: `basic`, `bearer`, ... */
  scheme: string;
  /** Parameters by lower-cased name. */
  params: Record<string, string>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// token68 (RFC 9110) also allows `/` and trailing `=`; a few servers send it instead of params.
const token68Char = /[A-Za-z0-9\-._~+/]/;

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  /** Skips whitespace and commas (empty list elements are allowed). */
  skipSeparators(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.pos++;
  }

  token(pattern = tokenChar): string {
    const start = this.pos;
    while (!this.done && pattern.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  quoted(): string {
    this.pos++; // opening quote
    let value = '';
    while (!this.done) {
      const c = this.peek();
      this.pos++;
      if (c === '"') return value;
      if (c === '\\' && !this.done) {
        value += this.peek();
        this.pos++;
      } else {
        value += c;
      }
    }
    return value; // unterminated: take what there is, as lenient clients do
  }
}

/** Whether the scanner is at `name =` (a parameter) rather than at the next challenge's scheme. */
function atParameter(s: Scanner): boolean {
  const save = s.pos;
  const name = s.token();
  s.skipSpace();
  const isParam = name !== '' && s.peek() === '=';
  s.pos = save;
  return isParam;
}

function parseParams(s: Scanner, params: Record<string, string>): void {
  for (;;) {
    s.skipSeparators();
    if (s.done || !atParameter(s)) return;
    const name = s.token().toLowerCase();
    s.skipSpace();
    s.pos++; // '='
    s.skipSpace();
    params[name] = s.peek() === '"' ? s.quoted() : s.token();
  }
}

/** All challenges of a WWW-Authenticate header, in order; malformed parts are skipped. */
export function parseChallenges(header: string): Challenge[] {
  const s = new Scanner(header);
  const challenges: Challenge[] = [];
  while (!s.done) {
    s.skipSeparators();
    const scheme = s.token();
    if (scheme === '') {
      s.pos++; // not a token character: skip it and look for the next challenge
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    s.skipSpace();
    if (!atParameter(s) && token68Char.test(s.peek())) {
      s.token(token68Char);
      while (s.peek() === '=') s.pos++;
      continue;
    }
    parseParams(s, challenge.params);
  }
  return challenges;
}

/** The challenge a client acts on: Bearer when offered, else Basic. */
export function preferredChallenge(headers: string | string[] | undefined): Challenge | undefined {
  const all = (Array.isArray(headers) ? headers : headers === undefined ? [] : [headers]).flatMap(parseChallenges);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}
