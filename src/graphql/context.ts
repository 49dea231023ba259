import DataLoader from 'dataloader';
import type { Actor } from '../authz/policy.js';
import { unauthenticated } from '../domain/errors.js';
import type { ApiKeyRecord, GrantRecord, GroupRecord, RoleRecord, ScopeRecord, UserRecord } from '../domain/types.js';
import type { Services } from '../services/container.js';

export interface Loaders {
  user: DataLoader<string, UserRecord | null>;
  role: DataLoader<string, RoleRecord | null>;
  scope: DataLoader<string, ScopeRecord | null>;
  grantsOfUser: DataLoader<string, GrantRecord[]>;
  group: DataLoader<string, GroupRecord | null>;
  grantsOfGroup: DataLoader<string, GrantRecord[]>;
  apiKeysOfUser: DataLoader<string, ApiKeyRecord[]>;
}

export interface Context {
  services: Services;
  actor: Actor | null;
  /** Id of the API key used (ends subscriptions when it is revoked). */
  apiKeyId: string | null;
  keyExpiresAt: number | null;
  requestId: string;
  loaders: Loaders;
}

function byId<T extends { id: string }>(rows: T[], ids: readonly string[]): Array<T | null> {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
}

/** Rows (grants, keys) grouped by their subject, in one pass, in the order of `ids`. */
function bySubject<T>(ids: readonly string[], rows: T[], subject: (row: T) => string | null): T[][] {
  const out = new Map<string, T[]>(ids.map((id) => [id, []]));
  for (const g of rows) out.get(subject(g) ?? '')?.push(g);
  return ids.map((id) => out.get(id)!);
}

/** Per-request batching through the services: each relation costs one statement per request, not one per parent. */
export function createLoaders(services: Services, orgId: string | null): Loaders {
  const org = orgId ?? '';
  return {
    user: new DataLoader(async (ids) => byId(await services.users.byIds(org, ids), ids)),
    role: new DataLoader(async (ids) => byId(await services.roles.byIds(org, ids), ids)),
    scope: new DataLoader(async (ids) => byId(await services.scopes.byIds(org, ids), ids)),
    grantsOfUser: new DataLoader(async (userIds) => bySubject(userIds, await services.grants.ofUsers(org, userIds), (g) => g.userId)),
    group: new DataLoader(async (ids) => byId(await services.groups.byIds(org, ids), ids)),
    grantsOfGroup: new DataLoader(async (groupIds) => bySubject(groupIds, await services.groups.grantsOf(org, groupIds), (g) => g.groupId)),
    apiKeysOfUser: new DataLoader(async (userIds) => bySubject(userIds, await services.apiKeys.ofUsers(org, userIds), (k) => k.userId)),
  };
}

/**
 * Loads many keys and drops the ones that do not exist; a failed batch is raised, never
 * dropped (an answer silently shorter than the truth is worse than an error).
 */
export async function loadAll<T>(loader: DataLoader<string, T | null>, keys: readonly string[]): Promise<T[]> {
  const out: T[] = [];
  for (const v of await loader.loadMany(keys)) {
    if (v instanceof Error) throw v;
    if (v !== null) out.push(v);
  }
  return out;
}

/** Like `loadAll`, keeping one entry (null when missing) per key, in key order. */
export async function loadEach<T>(loader: DataLoader<string, T | null>, keys: readonly string[]): Promise<Array<T | null>> {
  const out = await loader.loadMany(keys);
  for (const v of out) if (v instanceof Error) throw v;
  return out as Array<T | null>;
}

export function actorOf(ctx: Context): Actor {
  if (!ctx.actor) throw unauthenticated('an API key is required: send Authorization: Bearer <key>');
  return ctx.actor;
}
