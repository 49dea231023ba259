import { randomBytes } from 'node:crypto';

export const ID_PREFIX = {
  Organization: 'org',
  User: 'usr',
  Scope: 'scp',
  Role: 'rol',
  Grant: 'grt',
  ApiKey: 'key',
  Group: 'grp',
} as const;

export type NodeTypeName = keyof typeof ID_PREFIX;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let lastMs = 0;
let seq = 0;

/**
 * Prefixed, time-ordered ids (`usr_…`): the prefix names the GraphQL type, so an id
 * is its own global id, and time order makes keyset pagination follow creation order.
 */
export function newId(type: NodeTypeName): string {
  const now = Date.now();
  seq = now === lastMs ? seq + 1 : 0;
  lastMs = now;
  const rand = randomBytes(10);
  let tail = '';
  for (const b of rand) tail += ALPHABET[b & 31];
  return `${ID_PREFIX[type]}_${now.toString(36).padStart(9, '0')}${seq.toString(36).padStart(3, '0')}${tail}`;
}

export function typeOfId(id: string): NodeTypeName | null {
  const prefix = id.slice(0, id.indexOf('_'));
  for (const [name, p] of Object.entries(ID_PREFIX)) if (p === prefix) return name as NodeTypeName;
  return null;
}
