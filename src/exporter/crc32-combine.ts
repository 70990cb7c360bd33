// The CRC-32 of two byte runs put end to end, from the CRC-32 of each and the second's length
// (zlib's crc32_combine, which Node does not expose): the workers that deflate a layer's
// chunks take each chunk's CRC too, and the gzip trailer's is put together here in a few
// microseconds per chunk instead of reading every byte again on the main thread.
//
// A CRC is a remainder modulo the CRC polynomial p(x) over GF(2), bits reflected. Appending n
// zero bytes to a run multiplies its CRC by x^(8n) mod p(x); combining is that product XOR the
// second CRC. x^(8n) is built from the powers x^(2^k), squared once up front.

/** p(x), reflected. */
const POLY = 0xedb88320;

/** a(x) * b(x) mod p(x), both reflected (the top bit is x^0). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= b;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) mod p(x) for k = 0..31. */
const powersOfTwo: number[] = [];
for (let power = 0x40000000, k = 0; k < 32; k++) {
  powersOfTwo.push(power);
  power = multiplyModP(power, power);
}

/** x^(8 * bytes) mod p(x). */
function shiftBy(bytes: number): number {
  let result = 0x80000000;
  // 8n = n * 2^3: walk n's bits from x^(2^3) up.
  for (let k = 3, n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) result = multiplyModP(powersOfTwo[k % 32] as number, result);
  }
  return result;
}

/** The CRC-32 of A followed by B, given crc(A), crc(B) and B's length in bytes. */
export function combineCrc32(first: number, second: number, secondLength: number): number {
  return (multiplyModP(shiftBy(secondLength), first >>> 0) ^ second) >>> 0;
}
