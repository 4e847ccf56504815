/**
 * One spelling per IPv6 address (RFC 5952), so that `[::1]`, `[0:0:0:0:0:0:0:1]` and `[::0001]` are one
 * server, one cache entry and one UDP peer: lowercase hex, no leading zeros, the longest run of two or
 * more zero groups (the first on a tie) written `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`, and a
 * zone (`%eth0`) kept as written.
 *
 * Written by hand rather than with `new URL('http://[…]')`: the URL parser refuses zones and prints
 * mapped IPv4 in hex, and this runs on the thin client's Node 8 too.
 */
import { ipFamily } from './ip-family.ts';

/** The canonical form of an IPv6 address; anything that is not one is returned unchanged. */
export function canonicalIPv6(address: string): string {
  if (ipFamily(address) !== 6) return address;
  const percent = address.indexOf('%');
  const zone = percent === -1 ? '' : address.slice(percent);
  const groups = expand(percent === -1 ? address : address.slice(0, percent));
  if (!groups) return address;
  return compress(groups) + zone;
}

/** The eight 16-bit groups, or undefined for a spelling isIP accepted but this reader does not. */
function expand(text: string): number[] | undefined {
  let head = text;
  const tail: number[] = [];
  const v4 = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    head = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
    const b = v4.slice(2, 6).map(Number);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
  }
  const [left, right, extra] = head.split('::');
  if (extra !== undefined) return undefined;
  const hex = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const l = hex(left);
  const r = [...hex(right), ...tail];
  if (right === undefined) return l.length + tail.length === 8 ? [...l, ...tail] : undefined;
  const zeros = 8 - l.length - r.length;
  if (zeros < 1) return undefined;
  const groups = [...l, ...new Array<number>(zeros).fill(0), ...r];
  return groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

function compress(groups: number[]): string {
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5).
  const dotted = `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${dotted}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
