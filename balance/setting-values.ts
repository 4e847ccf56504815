/**
 * How each kind of setting value is read: LTSP booleans, plain decimal numbers in a range (no
 * exponents, no hex, no signs), one of a list, `host=weight` lists, the balancer's address, paths.
 * Each returns the value or a phrase saying what is wrong, which settings.ts turns into one warning.
 */
import { canonicalIPv6 } from '../shared/net/ipv6.ts';
import { LTSP_FALSE, LTSP_TRUE } from '../shared/options.ts';

export const LOADBALANCER_PORT = 8008;

export interface LoadBalancerAddress {
  host: string;
  port: number;
  path: string;
}

export type Parsed<T> = { ok: T } | { error: string };
const fail = (error: string): { error: string } => ({ error });

/** LTSP's boolean words, the one vocabulary of lts.conf (shared/options.ts). */
export function parseBoolean(v: string): Parsed<boolean> {
  if ((LTSP_TRUE as readonly string[]).includes(v)) return { ok: true };
  if ((LTSP_FALSE as readonly string[]).includes(v)) return { ok: false };
  return fail(`is not a boolean (${LTSP_TRUE.join(' ')} / ${LTSP_FALSE.join(' ')})`);
}

export function parseNumber(min: number, max: number, integer = false): (v: string) => Parsed<number> {
  return (v) => {
    const pattern = integer ? /^\d{1,9}$/ : /^\d{1,9}(?:\.\d{1,6})?$/;
    if (!pattern.test(v)) return fail(`is not a ${integer ? 'whole' : 'decimal'} number`);
    const n = Number(v);
    if (n < min || n > max) return fail(`is outside ${min}..${max}`);
    return { ok: n };
  };
}

export function parseChoice<T extends string>(choices: readonly T[]): (v: string) => Parsed<T> {
  return (v) => (choices.includes(v as T) ? { ok: v as T } : fail(`is not one of ${choices.join(', ')}`));
}

export function parseWeights(v: string): Parsed<Map<string, number>> {
  const out = new Map<string, number>();
  for (const item of v.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([^=]+)=(\d{1,5})$/.exec(item);
    if (!m || Number(m[2]) > 10_000) return fail(`entry ${JSON.stringify(item.slice(0, 40))} is not host=weight (0..10000)`);
    out.set(canonicalIPv6(m[1]!.replace(/^\[(.*)\]$/, '$1')).toLowerCase(), Number(m[2]));
  }
  return { ok: out };
}

export function parseLoadBalancer(v: string): Parsed<LoadBalancerAddress> {
  const text = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v) ? v : `http://${v}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('is not host[:port] or an http:// URL');
  }
  if (url.protocol !== 'http:') return fail('must be plain http:// (the ltsp-cluster lbserver speaks HTTP)');
  if (url.username || url.password) return fail('must not carry credentials');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return fail('has no host');
  return { ok: { host, port: url.port ? Number(url.port) : LOADBALANCER_PORT, path: `${url.pathname}${url.search}` } };
}

export function parsePath(v: string): Parsed<string> {
  return v.startsWith('/') && !v.includes('\0') && v.length < 4096 ? { ok: v } : fail('is not an absolute path');
}

