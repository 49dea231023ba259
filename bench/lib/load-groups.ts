import type { Actor } from '../../src/authz/policy.js';
import { defaultConfig } from '../../src/config.js';
import type { ChangeDraft, GroupRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { createServices } from '../../src/services/container.js';
import { draft, grantDraft, memberDraft } from '../../src/services/drafts.js';
import { cachedDatabase } from '../data.js';
import { GENERATOR_VERSION } from './model.js';
import { generateGrouped, GROUPS_VERSION, type GroupedDataset } from './groups-model.js';
import { loadDatabase, type DbMeta } from './load-db.js';
import { email } from './model.js';

export interface GroupedMeta extends DbMeta {
  groups: number;
  memberships: number;
  groupGrants: number;
}
export interface PreparedGrouped {
  g: GroupedDataset;
  /** M with groups. */
  grouped: { file: string; meta: GroupedMeta };
  /** The same effective grants, every one the user's own: the twin without groups. */
  flat: { file: string; meta: DbMeta };
}

const VERSION = GENERATOR_VERSION * 1000 + GROUPS_VERSION;
const MEMBER_BATCH = 10_000;

/** Both databases of the groups benchmark, built once and cached like the data sets. */
export async function prepareGrouped(): Promise<PreparedGrouped> {
  const g = generateGrouped();
  const grouped = await cachedDatabase('M-groups', VERSION, `M with groups (${g.own.gUser.length} own grants, ${g.groups.length} groups)`, (file) => loadGrouped(g, file));
  const flat = await cachedDatabase('M-groups-flat', VERSION, `M with groups, flattened (${g.flat.gUser.length} grants)`, (file) => loadDatabase(g.flat, file, VERSION));
  return { g, grouped, flat };
}

/**
 * The users and their own grants through `loadDatabase`, then the groups, their nesting,
 * the users' memberships and the groups' grants as drafts like GroupService and
 * GrantService build them, committed by `store.commit` and applied through the feed.
 */
async function loadGrouped(g: GroupedDataset, file: string): Promise<GroupedMeta> {
  const started = performance.now();
  const base = await loadDatabase(g.own, file, VERSION);
  const services = await createServices(file, defaultConfig({ logLevel: 'silent', synchronous: 'NORMAL' }));
  const orgId = base.orgId;
  const actor: Actor = { orgId, userId: base.ownerId, keyUserId: base.ownerId, apiKeyId: null };
  const ix = services.registry.get(orgId);
  const commit = async (drafts: ChangeDraft[]) => services.feed.apply(await services.store.commit(orgId, ix.revision, drafts));
  const now = Date.now();

  const groupIds = g.groups.map(() => newId('Group'));
  await commit(
    g.groups.map((spec, i) => {
      const group: GroupRecord = { id: groupIds[i]!, orgId, key: spec.key, name: null, description: null, createdAt: now, updatedAt: now };
      return draft(actor, 'GROUP_CREATED', { groupId: group.id, data: { kind: 'group', group } });
    }),
  );
  await commit(g.groups.flatMap((spec, i) => spec.parents.map((p) => memberDraft(ix, actor, 'GROUP_MEMBER_ADDED', groupIds[p]!, groupIds[i]!, now))));
  const users = g.own.size.users;
  for (let from = 0; from < users; from += MEMBER_BATCH) {
    const drafts: ChangeDraft[] = [];
    for (let u = from; u < Math.min(users, from + MEMBER_BATCH); u++) {
      const userId = ix.userByEmail.get(email(u))!;
      for (let m = g.memberStart[u]!; m < g.memberStart[u + 1]!; m++) drafts.push(memberDraft(ix, actor, 'GROUP_MEMBER_ADDED', groupIds[g.memberGroup[m]!]!, userId, now));
    }
    await commit(drafts);
  }
  const scopeId = (s: number) => (s < 0 ? null : ix.scopeByKey.get(g.own.scopes[s]!.key)!);
  const roleId = (r: number) => (r < 0 ? null : ix.liveRoleByName.get(g.own.roles[r]!.name.toLowerCase())!);
  await commit(
    g.groups.flatMap((spec, i) =>
      spec.grants.map((gg) =>
        grantDraft(ix, actor, 'GRANT_ADDED', {
          id: newId('Grant'),
          orgId,
          userId: null,
          groupId: groupIds[i]!,
          scopeId: scopeId(gg.scope),
          permissionKey: gg.perm < 0 ? null : g.own.perms[gg.perm]!.key,
          roleId: roleId(gg.role),
          createdAt: now,
          createdBy: base.ownerId,
        }),
      ),
    ),
  );
  const meta: GroupedMeta = {
    ...base,
    grants: ix.grantCount,
    revision: ix.revision,
    groups: ix.groups.byId.size,
    memberships: g.memberGroup.length + g.groups.reduce((a, x) => a + x.parents.length, 0),
    groupGrants: g.groups.reduce((a, x) => a + x.grants.length, 0),
    buildSeconds: (performance.now() - started) / 1000,
  };
  await services.close();
  return meta;
}
