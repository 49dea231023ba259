import type { PermissionLevel } from '../../src/domain/types.js';
import { int, rng, zipf, zipfPicker, type Rand } from './random.js';

/** Bump when the generated data changes, so cached databases are rebuilt. */
export const GENERATOR_VERSION = 1;

export type SizeName = 'S' | 'M' | 'L';
export interface SizeSpec {
  name: SizeName;
  users: number;
  grants: number;
  regions: number;
  propertiesPerRegion: number;
}
export const SIZES: Record<SizeName, SizeSpec> = {
  S: { name: 'S', users: 1_000, grants: 10_000, regions: 10, propertiesPerRegion: 20 },
  M: { name: 'M', users: 10_000, grants: 100_000, regions: 40, propertiesPerRegion: 50 },
  L: { name: 'L', users: 100_000, grants: 1_000_000, regions: 200, propertiesPerRegion: 100 },
};

export interface PermSpec {
  key: string;
  level: PermissionLevel;
  resourceTypes: string[];
}
export type RoleScope = 'ORG' | 'region' | 'property';
export interface RoleSpec {
  name: string;
  scopeType: RoleScope;
  perms: string[];
}
export interface ScopeSpec {
  key: string;
  type: 'region' | 'property';
  /** Index of the parent scope, -1 for a top-level region. */
  parent: number;
}

/** The logical data set, by index; ids are assigned by the real store when loaded. */
export interface Dataset {
  size: SizeSpec;
  perms: PermSpec[];
  /** Permissions kept out of every grant and role, so the write benchmark adds only new grants. */
  writePerms: string[];
  roles: RoleSpec[];
  scopes: ScopeSpec[];
  regionCount: number;
  /** Grants of user u are the rows userStart[u] .. userStart[u+1]-1. */
  userStart: Int32Array;
  gUser: Int32Array;
  /** -1 = ORG */
  gScope: Int32Array;
  /** Role index, or -1 for a direct grant. */
  gRole: Int32Array;
  /** Permission index, or -1 for a role grant. */
  gPerm: Int32Array;
}

export const email = (u: number) => `user${u}@bench.example`;

const ACTIONS = ['create', 'read', 'update', 'delete', 'manage'];
/** group, level, resourceTypes: ORG flags, property flags (P_ style), region flags, and ANY ones. */
const GROUPS: Array<[string, PermissionLevel, string[]]> = [
  ['billing', 'ORG', []], ['integration', 'ORG', []], ['org_report', 'ORG', []], ['user_profile', 'ORG', []],
  ['booking', 'RESOURCE', ['property']], ['room', 'RESOURCE', ['property']], ['rate', 'RESOURCE', ['property']],
  ['guest', 'RESOURCE', ['property']], ['housekeeping', 'RESOURCE', ['property']], ['review', 'RESOURCE', ['property']],
  ['region_report', 'RESOURCE', ['region']], ['region_budget', 'RESOURCE', ['region']], ['channel', 'RESOURCE', []],
  ['document', 'ANY', []], ['message', 'ANY', []], ['task', 'ANY', []], ['calendar', 'ANY', []],
  ['maintenance', 'ANY', ['property']],
];

/** Same rule as the product's takesEffect, on the generator's own types. */
export function effectiveAt(p: PermSpec, type: string | null): boolean {
  if (type === null) return p.level !== 'RESOURCE';
  if (p.level === 'ORG') return false;
  return p.resourceTypes.length === 0 || p.resourceTypes.includes(type);
}

function catalog(): PermSpec[] {
  const out: PermSpec[] = [];
  for (const [group, level, resourceTypes] of GROUPS) for (const a of ACTIONS) out.push({ key: `${group}.${a}`, level, resourceTypes });
  return out;
}

function roles(r: Rand, perms: PermSpec[]): RoleSpec[] {
  const out: RoleSpec[] = [];
  const kinds: RoleScope[] = [...Array(10).fill('ORG'), ...Array(10).fill('region'), ...Array(30).fill('property')];
  kinds.forEach((scopeType, i) => {
    const pool = perms.filter((p) => effectiveAt(p, scopeType === 'ORG' ? null : scopeType)).map((p) => p.key);
    const want = Math.min(pool.length, 5 + int(r, 26));
    const chosen = new Set<string>();
    const z = zipfPicker(r, pool, 0.8);
    while (chosen.size < want) chosen.add(z(r));
    out.push({ name: `${scopeType === 'ORG' ? 'Org' : scopeType === 'region' ? 'Region' : 'Property'} role ${i + 1}`, scopeType, perms: [...chosen].sort() });
  });
  return out;
}

/** Grants per user: 1 .. 2·avg-1, then nudged so the total is exact. */
function grantCounts(r: Rand, users: number, total: number): Int32Array {
  const avg = total / users;
  const counts = new Int32Array(users);
  let sum = 0;
  for (let u = 0; u < users; u++) sum += counts[u] = 1 + int(r, Math.max(1, Math.round(2 * avg - 1)));
  while (sum !== total) {
    const u = int(r, users);
    if (sum < total) (counts[u]! += 1), sum++;
    else if (counts[u]! > 1) (counts[u]! -= 1), sum--;
  }
  return counts;
}

export function generate(spec: SizeSpec, seed = 7): Dataset {
  const r = rng(seed);
  const all = catalog();
  const perms = all.filter((p) => !p.key.startsWith('maintenance.'));
  const writePerms = all.filter((p) => p.key.startsWith('maintenance.')).map((p) => p.key);
  const roleSpecs = roles(r, perms);
  const scopes: ScopeSpec[] = [];
  for (let i = 0; i < spec.regions; i++) scopes.push({ key: `region-${i}`, type: 'region', parent: -1 });
  for (let i = 0; i < spec.regions; i++) {
    for (let j = 0; j < spec.propertiesPerRegion; j++) scopes.push({ key: `property-${i}-${j}`, type: 'property', parent: i });
  }
  const propOf = (region: number, j: number) => spec.regions + region * spec.propertiesPerRegion + j;
  const pool = (type: string | null, atOrg: boolean) =>
    perms.map((_, i) => i).filter((i) => (atOrg ? perms[i]!.level !== 'RESOURCE' : perms[i]!.level !== 'ORG') && effectiveAt(perms[i]!, type));
  const pickers = {
    orgPerm: zipfPicker(r, pool(null, true)),
    regionPerm: zipfPicker(r, pool('region', false)),
    propPerm: zipfPicker(r, pool('property', false)),
    orgRole: zipfPicker(r, roleSpecs.map((_, i) => i).filter((i) => roleSpecs[i]!.scopeType === 'ORG')),
    regionRole: zipfPicker(r, roleSpecs.map((_, i) => i).filter((i) => roleSpecs[i]!.scopeType === 'region')),
    propRole: zipfPicker(r, roleSpecs.map((_, i) => i).filter((i) => roleSpecs[i]!.scopeType === 'property')),
  };
  const homeRegion = zipf(spec.regions, 0.7);
  const counts = grantCounts(r, spec.users, spec.grants);
  const ds: Dataset = {
    size: spec, perms, writePerms, roles: roleSpecs, scopes, regionCount: spec.regions,
    userStart: new Int32Array(spec.users + 1),
    gUser: new Int32Array(spec.grants), gScope: new Int32Array(spec.grants), gRole: new Int32Array(spec.grants), gPerm: new Int32Array(spec.grants),
  };
  let g = 0;
  const seen = new Set<number>();
  for (let u = 0; u < spec.users; u++) {
    ds.userStart[u] = g;
    const region = homeRegion(r);
    const homes = Array.from({ length: 1 + int(r, 3) }, () => propOf(region, int(r, spec.propertiesPerRegion)));
    seen.clear();
    for (let n = 0; n < counts[u]!; ) {
      const x = r();
      let scope: number, role = -1, perm = -1;
      if (x < 0.08) (scope = -1), (role = pickers.orgRole(r));
      else if (x < 0.12) (scope = -1), (perm = pickers.orgPerm(r));
      else if (x < 0.14) (scope = -1), (role = pickers.regionRole(r));
      else if (x < 0.29) (scope = region), (role = pickers.regionRole(r));
      else if (x < 0.37) (scope = region), (perm = pickers.regionPerm(r));
      else if (x < 0.75) (scope = homes[int(r, homes.length)]!), (role = pickers.propRole(r));
      else (scope = homes[int(r, homes.length)]!), (perm = pickers.propPerm(r));
      // A second grant of the same thing at the same scope is not a grant; draw again.
      const key = (scope + 1) * 4096 + (role >= 0 ? role : 2048 + perm);
      if (seen.has(key)) continue;
      seen.add(key);
      ds.gUser[g] = u;
      ds.gScope[g] = scope;
      ds.gRole[g] = role;
      ds.gPerm[g] = perm;
      g++, n++;
    }
  }
  ds.userStart[spec.users] = g;
  return ds;
}
