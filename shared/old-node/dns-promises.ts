/**
 * `node:dns/promises` (a module from Node 15; `dns.promises` from 10.6, printing an
 * ExperimentalWarning on stderr until 11) for the hook bundles: scripts/bundle.mjs points imports
 * of that module here. Only what the bundles use: lookup().
 */
import { lookup as lookupCallback, type LookupAddress, type LookupOptions } from 'node:dns';

export function lookup(hostname: string, options: LookupOptions = {}): Promise<LookupAddress | LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookupCallback(hostname, options, (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
      if (err) reject(err);
      else resolve(Array.isArray(address) ? address : { address, family: family! });
    });
  });
}

export default { lookup };
