import type { Actor } from '../../src/authz/policy.js';
import { defaultConfig, type Config } from '../../src/config.js';
import type { ChangeDraft, PermissionRecord, RoleRecord, ScopeRecord, UserRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { createServices } from '../../src/services/container.js';
import { draft, grantDraft } from '../../src/services/drafts.js';
import { email, type Dataset } from './model.js';

export interface DbMeta {
  size: string;
  version: number;
  orgId: string;
  ownerId: string;
  ownerKey: string;
  users: number;
  grants: number;
  scopes: number;
  revision: number;
  buildSeconds: number;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const USER_BATCH = 10_000;
const GRANT_BATCH = 25_000;

/**
 * Writes the data set through the product's own write path: drafts like the services
 * build them, committed by `store.commit` in large batches, so every row has its change
 * log entry and the in-memory index is fed by the committed events, as in production.
 */
export async function loadDatabase(ds: Dataset, file: string, version: number, config: Partial<Config> = {}): Promise<DbMeta> {
  const started = performance.now();
  // NORMAL: the benchmark database is rebuilt on loss, so do not pay an fsync per batch.
  // `config.databaseUrl` loads the same data into PostgreSQL instead (the replica benchmark).
  const services = await createServices(file, defaultConfig({ logLevel: 'silent', synchronous: 'NORMAL', ...config }));
  const { org, owner, ownerKey } = await services.organizations.create('default', 'owner@bench.example');
  const orgId = org.id;
  const actor: Actor = { orgId, userId: owner.id, keyUserId: owner.id, apiKeyId: null };
  const ix = services.registry.get(orgId);
  // The store publishes nothing: its events reach the index through the feed, as the Writer does it.
  const commit = async (drafts: ChangeDraft[]) => services.feed.apply(await services.store.commit(orgId, ix.revision, drafts));
  const now = Date.now();

  await commit(
    [...ds.perms.map((p) => ({ ...p, grantable: true })), ...ds.writePerms.map((key) => ({ key, level: 'ANY' as const, resourceTypes: ['property'], grantable: true }))].map(
      (p) => {
        const permission: PermissionRecord = { orgId, key: p.key, description: null, level: p.level, resourceTypes: p.resourceTypes, grantable: p.grantable, builtIn: false };
        return draft(actor, 'CATALOG_CHANGED', { permissions: [p.key], data: { kind: 'permission', permission } });
      },
    ),
  );
  const roleIds = ds.roles.map(() => newId('Role'));
  await commit(
    ds.roles.map((r, i) => {
      const role: RoleRecord = { id: roleIds[i]!, orgId, name: r.name, description: null, roleType: 'CUSTOM', scopeType: r.scopeType, isDefault: false, discardedAt: null, createdAt: now, updatedAt: now, permissions: r.perms };
      return draft(actor, 'ROLE_CREATED', { roleId: role.id, permissions: role.permissions, data: { kind: 'role', role } });
    }),
  );
  const scopeIds = ds.scopes.map(() => newId('Scope'));
  await commit(
    ds.scopes.map((s, i) => {
      const scope: ScopeRecord = { id: scopeIds[i]!, orgId, key: s.key, type: s.type, name: null, parentId: s.parent < 0 ? null : scopeIds[s.parent]!, createdAt: now };
      return draft(actor, 'SCOPE_CREATED', { scopeKey: scope.key, data: { kind: 'scope', scope } });
    }),
  );
  const userIds: string[] = [];
  for (let from = 0; from < ds.size.users; from += USER_BATCH) {
    const drafts: ChangeDraft[] = [];
    for (let u = from; u < Math.min(ds.size.users, from + USER_BATCH); u++) {
      const user: UserRecord = { id: newId('User'), orgId, email: email(u), externalId: `ext-${u}`, firstName: 'Bench', lastName: `User ${u}`, dateJoined: now };
      userIds.push(user.id);
      drafts.push(draft(actor, 'USER_CREATED', { userId: user.id, data: { kind: 'user', user } }));
    }
    await commit(drafts);
  }
  const total = ds.gUser.length;
  for (let from = 0; from < total; from += GRANT_BATCH) {
    const drafts: ChangeDraft[] = [];
    for (let g = from; g < Math.min(total, from + GRANT_BATCH); g++) {
      const scope = ds.gScope[g]!;
      const role = ds.gRole[g]!;
      drafts.push(
        grantDraft(ix, actor, 'GRANT_ADDED', {
          id: newId('Grant'),
          orgId,
          userId: userIds[ds.gUser[g]!]!,
          groupId: null,
          scopeId: scope < 0 ? null : scopeIds[scope]!,
          permissionKey: role < 0 ? ds.perms[ds.gPerm[g]!]!.key : null,
          roleId: role < 0 ? null : roleIds[role]!,
          createdAt: now,
          createdBy: owner.id,
        }),
      );
    }
    await commit(drafts);
    if (total >= 500_000 && (from / GRANT_BATCH) % 8 === 7) progress(`  ${from + GRANT_BATCH} of ${total} grants`);
  }
  const meta: DbMeta = {
    size: ds.size.name,
    version,
    orgId,
    ownerId: owner.id,
    ownerKey,
    users: ix.users.size,
    grants: ix.grantCount,
    scopes: ix.scopes.size,
    revision: ix.revision,
    buildSeconds: (performance.now() - started) / 1000,
  };
  await services.close();
  return meta;
}
