/**
 * Randomness and hashing that tests and the storm simulator can replay: a seeded generator, and a
 * string hash good enough to spread rendezvous weights (not a cryptographic one: nothing here is a
 * secret, and a thin client should not pay for SHA-256 on its cold path).
 */

/** A seeded generator (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 53-bit hash of a string (cyrb53: two multiply-xorshift lanes), as a float strictly inside (0, 1). */
export function hash01(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 2097152 * (h2 >>> 0) + (h1 >>> 0); // 0 .. 2^53 - 1
  return (n + 0.5) / 2 ** 53;
}

/** A uniformly random index below n. */
export function pickIndex(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = pickIndex(i + 1, random);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
