/**
 * Server side: an Advertisement becomes the version-1 XML document. Numbers are written in plain
 * decimal (never exponent notation) so that the strict parser on the other side accepts them.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { NUMERIC_FIELDS, POOL_FIELDS, WIRE_VERSION, type Advertisement } from './advertisement.ts';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

function formatNumber(value: number, integer: boolean): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`cannot render ${value}`);
  return integer ? String(Math.round(value)) : value.toFixed(2);
}

export interface RenderOptions {
  /** The user list goes into the TCP document only: the UDP answer must stay small and anonymous. */
  includeUserNames: boolean;
}

export function renderAdvertisement(ad: Advertisement, { includeUserNames }: RenderOptions): string {
  const body: Record<string, unknown> = { '@_version': String(WIRE_VERSION), hostname: ad.hostname, state: ad.state };
  for (const spec of NUMERIC_FIELDS) body[spec.element] = formatNumber(ad[spec.key], spec.integer);
  if (ad.pool) body.pool = Object.fromEntries(POOL_FIELDS.map(({ key }) => [key, formatNumber(ad.pool![key], true)]));
  if (includeUserNames && ad.userNames && ad.userNames.length > 0) body.user_names = { user: ad.userNames };
  return builder.build({ advertise: body }) as string;
}
