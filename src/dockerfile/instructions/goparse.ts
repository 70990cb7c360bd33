// Small value parsers with Go's exact acceptance rules (strconv.ParseBool, ParseUint,
// docker/go-units RAMInBytes), so that a Dockerfile BuildKit accepts is accepted here too.

const trueWords = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseWords = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: undefined when the text is not a boolean. */
export function parseGoBool(text: string): boolean | undefined {
  if (trueWords.has(text)) return true;
  if (falseWords.has(text)) return false;
  return undefined;
}

/** strconv.ParseUint(text, base, 32) for base 8 or 10: undefined when out of range or malformed. */
export function parseUint32(text: string, base: 8 | 10): number | undefined {
  const digits = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(text)) return undefined;
  const value = parseInt(text, base);
  return value <= 0xffff_ffff ? value : undefined;
}

const binaryUnits: Readonly<Record<string, number>> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** go-units RAMInBytes: `64m`, `1.5GiB`, `512 kb`, `100` (bytes); undefined when invalid. */
export function parseRamBytes(text: string): number | undefined {
  const sep = Math.max(...[...'0123456789. '].map((c) => text.lastIndexOf(c)));
  if (sep === -1) return undefined;
  const number = text[sep] === ' ' ? text.slice(0, sep) : text.slice(0, sep + 1);
  const suffix = text.slice(sep + 1).toLowerCase();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(number)) return undefined;
  const size = Number(number);
  if (size < 0) return undefined;
  if (suffix === '' || suffix === 'b') return Math.trunc(size);
  const multiplier = binaryUnits[suffix[0] ?? ''];
  if (multiplier === undefined || suffix.length > 3) return undefined;
  if ((suffix.length === 2 && suffix[1] !== 'b') || (suffix.length === 3 && suffix.slice(1) !== 'ib')) return undefined;
  return Math.trunc(size * multiplier);
}
