// History entries as BuildKit writes them (dockerfile2llb commitToHistory): `created_by` is the
// instruction printed with Go's fmt verbs, so `docker history` reads the same for both engines.
import type { HealthConfig, HistoryEntry } from '../../image/index.js';

/** The comment BuildKit puts on every entry it adds. */
export const historyComment = 'buildkit.dockerfile.v0';

/**
 * One entry. `withLayer` false marks a config-only instruction (empty_layer); `fromState`
 * adds BuildKit's ` # buildkit` marker, which it writes for the steps that ran an LLB op.
 */
export function historyEntry(createdBy: string, withLayer: boolean, fromState: boolean): HistoryEntry {
  return {
    created_by: fromState ? `${createdBy} # buildkit` : createdBy,
    comment: historyComment,
    ...(withLayer ? {} : { empty_layer: true }),
  };
}

/** Go's `%q` of a `[]string`: `["a" "b"]`. */
export function goQuotedList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** Go's `%v` of a `[]string`: `[a b]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** Go's `%v` of a set (`map[K]struct{}`): keys sorted, `map[a:{} b:{}]`. */
export function goSet(keys: readonly string[]): string {
  return `map[${[...new Set(keys)].sort().map((k) => `${k}:{}`).join(' ')}]`;
}

/** Go's strconv.Quote for the text Dockerfiles hold; JSON escapes agree with Go's for ASCII. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u007f/g, '\\x7f');
}

/** `HEALTHCHECK %q` of BuildKit's *HealthcheckConfig: `&{["CMD" "x"] "30s" "0s" "0s" "0s" '\x03'}`. */
export function goHealthcheck(health: HealthConfig): string {
  const durations = [health.Interval, health.Timeout, health.StartPeriod, health.StartInterval].map((d) => goQuote(goDuration(d ?? 0)));
  return `&{${goQuotedList(health.Test ?? [])} ${durations.join(' ')} ${goQuoteRune(health.Retries ?? 0)}}`;
}

/** Go's `%q` of an int: the rune literal. */
function goQuoteRune(n: number): string {
  if (n === 0x27) return "'\\''";
  if (n === 0x5c) return "'\\\\'";
  if (n >= 0x20 && n < 0x7f) return `'${String.fromCharCode(n)}'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
  if (named[n] !== undefined) return `'${named[n]}'`;
  if (n < 0x100) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(n)}'`;
}

/** Go's time.Duration.String() for nanoseconds: `1m30s`, `500ms`, `0s`. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${trimFraction(abs / 1e3)}µs`;
  if (abs < 1e9) return `${sign}${trimFraction(abs / 1e6)}ms`;
  const hours = Math.floor(abs / 3.6e12);
  const minutes = Math.floor((abs % 3.6e12) / 6e10);
  const seconds = `${trimFraction((abs % 6e10) / 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

function trimFraction(value: number): string {
  return value.toFixed(9).replace(/\.?0+$/, '');
}
