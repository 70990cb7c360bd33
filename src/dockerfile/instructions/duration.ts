// Go's time.ParseDuration, which is what HEALTHCHECK's duration flags accept: a signed
// sequence of decimal numbers with units, e.g. `300ms`, `1.5h`, `2h45m`. Units: ns, us (µs),
// ms, s, m, h. A unit is required except for a bare `0`.

const unitNanos: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const maxDuration = (1n << 63n) - 1n;
const component = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

export class DurationError extends Error {}

/** Nanoseconds; throws DurationError with Go's wording for anything Go would reject. */
export function parseGoDuration(text: string): bigint {
  const invalid = (): DurationError => new DurationError(`invalid duration "${text}"`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();
  let total = 0n;
  component.lastIndex = 0;
  while (component.lastIndex < rest.length) {
    const at = component.lastIndex;
    const match = component.exec(rest);
    if (match === null || match.index !== at) throw unitlessOr(invalid, text, rest.slice(at));
    const [, whole = '', fraction, unit = ''] = match;
    if (whole === '' && (fraction === undefined || fraction === '')) throw invalid();
    total += componentNanos(whole, fraction ?? '', unitNanos[unit] ?? 0n);
    if (total > maxDuration) throw invalid();
  }
  return negative ? -total : total;
}

function componentNanos(whole: string, fraction: string, unit: bigint): bigint {
  let nanos = BigInt(whole === '' ? '0' : whole) * unit;
  if (fraction !== '') nanos += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
  return nanos;
}

// Go reports a number with no unit separately, which is the commonest mistake (`--interval=30`).
function unitlessOr(invalid: () => DurationError, text: string, rest: string): DurationError {
  return /^[\d.]+$/.test(rest) ? new DurationError(`missing unit in duration "${text}"`) : invalid();
}
