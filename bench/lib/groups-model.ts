import { generate, SIZES, type Dataset } from './model.js';
import { int, rng, zipfPicker } from './random.js';

/** Bump when the grouped data changes, so its cached databases are rebuilt. */
export const GROUPS_VERSION = 1;

/** One grant of a group, by data set index: scope (-1 = ORG), role (-1: direct) or permission (-1: role). */
export interface GroupGrantSpec {
  scope: number;
  role: number;
  perm: number;
}
export interface GroupSpec {
  key: string;
  /** 1 = division (top), 2 = regional team, 3 = squad (innermost). */
  level: 1 | 2 | 3;
  /** Indexes of the groups this one is a direct member of (always lower indexes). */
  parents: number[];
  grants: GroupGrantSpec[];
}

/**
 * M with groups: M's users, catalog, roles and scopes; each user keeps fewer grants of its
 * own (4 on average instead of 10) and gets the rest through groups three levels deep:
 * 10 divisions (ORG grants) ⊃ 3 teams per region (region grants) ⊃ 25 squads per region
 * (property grants; 15% of squads sit in two teams). Every user is a direct member of 1–5
 * groups (3 on average) around its home region: squads mostly, sometimes a team or a division.
 */
export interface GroupedDataset {
  /** Users and their own grants (the M generator with 30,000 grants instead of 100,000). */
  own: Dataset;
  groups: GroupSpec[];
  /** User u's direct groups are memberGroup[memberStart[u] .. memberStart[u+1]-1]. */
  memberStart: Int32Array;
  memberGroup: Int32Array;
  /**
   * The same users with what they hold in effect written out as their own grants: own plus
   * every group's they are in, transitively, each (scope, item) once. The twin without
   * groups, and the source of the check keys (which follow effective grants).
   */
  flat: Dataset;
  /** Per flat grant: 1 when the user holds it only through a group. */
  viaGroup: Uint8Array;
}

export const DIVISIONS = 10;
const TEAMS_PER_REGION = 3;
const SQUADS_PER_REGION = 25;
const OWN_GRANTS = 30_000;

export const divisionKey = (i: number) => `division-${i}`;

export function generateGrouped(seed = 29): GroupedDataset {
  const spec = SIZES.M;
  const own = generate({ ...spec, grants: OWN_GRANTS });
  const r = rng(seed);
  const regions = own.regionCount;
  const per = spec.propertiesPerRegion;
  const propOf = (region: number, j: number) => regions + region * per + j;
  const permsWhere = (ok: (level: string, types: string[]) => boolean) => own.perms.map((_, i) => i).filter((i) => ok(own.perms[i]!.level, own.perms[i]!.resourceTypes));
  const rolesOf = (t: string) => own.roles.map((_, i) => i).filter((i) => own.roles[i]!.scopeType === t);
  const pick = {
    orgRole: zipfPicker(r, rolesOf('ORG')),
    orgPerm: zipfPicker(r, permsWhere((level) => level !== 'RESOURCE')),
    regionRole: zipfPicker(r, rolesOf('region')),
    regionPerm: zipfPicker(r, permsWhere((level, types) => level !== 'ORG' && (types.length === 0 || types.includes('region')))),
    propRole: zipfPicker(r, rolesOf('property')),
    propPerm: zipfPicker(r, permsWhere((level, types) => level !== 'ORG' && (types.length === 0 || types.includes('property')))),
  };

  const groups: GroupSpec[] = [];
  for (let d = 0; d < DIVISIONS; d++) {
    const x = r();
    groups.push({ key: divisionKey(d), level: 1, parents: [], grants: [x < 0.6 ? { scope: -1, role: pick.orgRole(r), perm: -1 } : { scope: -1, role: -1, perm: pick.orgPerm(r) }] });
  }
  const teamIndex = (region: number, j: number) => DIVISIONS + region * TEAMS_PER_REGION + j;
  for (let region = 0; region < regions; region++) {
    for (let j = 0; j < TEAMS_PER_REGION; j++) {
      const grants = Array.from({ length: r() < 0.3 ? 2 : 1 }, () => (r() < 0.7 ? { scope: region, role: pick.regionRole(r), perm: -1 } : { scope: region, role: -1, perm: pick.regionPerm(r) }));
      groups.push({ key: `team-${region}-${j}`, level: 2, parents: [int(r, DIVISIONS)], grants: dedupe(grants) });
    }
  }
  const squadIndex = (region: number, j: number) => DIVISIONS + regions * TEAMS_PER_REGION + region * SQUADS_PER_REGION + j;
  for (let region = 0; region < regions; region++) {
    for (let j = 0; j < SQUADS_PER_REGION; j++) {
      const homes = Array.from({ length: 1 + int(r, 3) }, () => propOf(region, int(r, per)));
      const grants = Array.from({ length: r() < 0.3 ? 2 : 1 }, () => {
        const scope = homes[int(r, homes.length)]!;
        return r() < 0.6 ? { scope, role: pick.propRole(r), perm: -1 } : { scope, role: -1, perm: pick.propPerm(r) };
      });
      const parents = [teamIndex(region, int(r, TEAMS_PER_REGION))];
      if (r() < 0.15) parents.push(teamIndex(region, int(r, TEAMS_PER_REGION)));
      groups.push({ key: `squad-${region}-${j}`, level: 3, parents: [...new Set(parents)], grants: dedupe(grants) });
    }
  }

  // Direct memberships around the home region the user's own grants are in.
  const users = spec.users;
  const homeOf = (u: number) => {
    for (let g = own.userStart[u]!; g < own.userStart[u + 1]!; g++) {
      const s = own.gScope[g]!;
      if (s >= 0) return s < regions ? s : Math.floor((s - regions) / per);
    }
    return int(r, regions);
  };
  const memberStart = new Int32Array(users + 1);
  const memberList: number[] = [];
  for (let u = 0; u < users; u++) {
    memberStart[u] = memberList.length;
    const home = homeOf(u);
    const want = 1 + int(r, 5);
    const mine = new Set<number>();
    for (let tries = 0; mine.size < want && tries < 50; tries++) {
      const x = r();
      mine.add(x < 0.8 ? squadIndex(home, int(r, SQUADS_PER_REGION)) : x < 0.92 ? teamIndex(home, int(r, TEAMS_PER_REGION)) : int(r, DIVISIONS));
    }
    memberList.push(...mine);
  }
  memberStart[users] = memberList.length;
  const memberGroup = Int32Array.from(memberList);
  const { flat, viaGroup } = flatten(own, groups, memberStart, memberGroup);
  return { own, groups, memberStart, memberGroup, flat, viaGroup };
}

function dedupe(grants: GroupGrantSpec[]): GroupGrantSpec[] {
  const seen = new Set<string>();
  return grants.filter((g) => {
    const k = `${g.scope}/${g.role}/${g.perm}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Every group a group is in, itself included (parents have lower indexes, so one pass). */
export function closures(groups: GroupSpec[]): Array<Set<number>> {
  const out: Array<Set<number>> = [];
  groups.forEach((g, i) => {
    const s = new Set<number>([i]);
    for (const p of g.parents) for (const a of out[p]!) s.add(a);
    out.push(s);
  });
  return out;
}

function flatten(own: Dataset, groups: GroupSpec[], memberStart: Int32Array, memberGroup: Int32Array): { flat: Dataset; viaGroup: Uint8Array } {
  const up = closures(groups);
  const users = own.size.users;
  const rows: Array<[number, number, number, number, number]> = [];
  const userStart = new Int32Array(users + 1);
  for (let u = 0; u < users; u++) {
    userStart[u] = rows.length;
    const seen = new Set<string>();
    const add = (scope: number, role: number, perm: number, via: number) => {
      const k = `${scope}/${role}/${perm}`;
      if (seen.has(k)) return;
      seen.add(k);
      rows.push([u, scope, role, perm, via]);
    };
    for (let g = own.userStart[u]!; g < own.userStart[u + 1]!; g++) add(own.gScope[g]!, own.gRole[g]!, own.gPerm[g]!, 0);
    const reached = new Set<number>();
    for (let m = memberStart[u]!; m < memberStart[u + 1]!; m++) for (const a of up[memberGroup[m]!]!) reached.add(a);
    for (const gi of [...reached].sort((a, b) => a - b)) for (const gg of groups[gi]!.grants) add(gg.scope, gg.role, gg.perm, 1);
  }
  userStart[users] = rows.length;
  const col = (i: number) => Int32Array.from(rows, (row) => row[i]!);
  const flat: Dataset = { ...own, size: { ...own.size, grants: rows.length }, userStart, gUser: col(0), gScope: col(1), gRole: col(2), gPerm: col(3) };
  return { flat, viaGroup: Uint8Array.from(rows, (row) => row[4]!) };
}

/** Figures of the shape, for the report. */
export function describeGrouped(g: GroupedDataset) {
  const users = g.own.size.users;
  const up = closures(g.groups);
  let reachedTotal = 0;
  for (let u = 0; u < users; u++) {
    const reached = new Set<number>();
    for (let m = g.memberStart[u]!; m < g.memberStart[u + 1]!; m++) for (const a of up[g.memberGroup[m]!]!) reached.add(a);
    reachedTotal += reached.size;
  }
  const viaGroup = g.viaGroup.reduce((a, b) => a + b, 0);
  return {
    users,
    groups: g.groups.length,
    groupsByLevel: [1, 2, 3].map((l) => g.groups.filter((x) => x.level === l).length),
    groupGrants: g.groups.reduce((a, x) => a + x.grants.length, 0),
    memberships: g.memberGroup.length + g.groups.reduce((a, x) => a + x.parents.length, 0),
    userMemberships: g.memberGroup.length,
    directGroupsPerUser: g.memberGroup.length / users,
    groupsReachedPerUser: reachedTotal / users,
    ownGrants: g.own.gUser.length,
    ownGrantsPerUser: g.own.gUser.length / users,
    effectiveGrantsPerUser: g.flat.gUser.length / users,
    shareThroughGroups: viaGroup / g.flat.gUser.length,
  };
}
