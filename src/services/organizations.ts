import { BUILT_IN_PERMISSIONS } from '../domain/catalog-rules.js';
import { conflict } from '../domain/errors.js';
import type { ChangeDraft, ChangeEvent, OrganizationRecord, PermissionRecord, RoleRecord, UserRecord } from '../domain/types.js';
import { validEmail, validText } from '../domain/validate.js';
import { newId } from '../ids.js';
import type { Actor } from '../authz/policy.js';
import type { ChangeFeed } from '../changes/feed.js';
import type { Store } from '../store/store.js';
import { apiKeyCreatedDraft, mintSecret } from './api-keys.js';
import { draft } from './drafts.js';

export interface NewOrganization {
  org: OrganizationRecord;
  owner: UserRecord;
  ownerKey: string;
  events: ChangeEvent[];
}

function systemRole(orgId: string, name: string, description: string, isDefault: boolean, permissions: string[], now: number): RoleRecord {
  return { id: newId('Role'), orgId, name, description, roleType: 'SYSTEM', scopeType: 'ORG', isDefault, discardedAt: null, createdAt: now, updatedAt: now, permissions };
}

/**
 * A new tenant: its owner, the built-in catalog, the Administrator and Member system
 * roles, and the owner's first API key, all in one transaction with their changes.
 */
export async function createOrganization(store: Store, name: string, ownerEmail: string): Promise<NewOrganization> {
  const orgName = validText(name, 'organization name', 1, 100);
  const email = validEmail(ownerEmail);
  if (await store.organizationByName(orgName)) throw conflict(`an organization named "${orgName}" already exists`);
  const now = Date.now();
  const orgId = newId('Organization');
  const owner: UserRecord = { id: newId('User'), orgId, email, externalId: null, firstName: null, lastName: null, dateJoined: now };
  const org: OrganizationRecord = { id: orgId, name: orgName, ownerId: owner.id, revision: 0, createdAt: now };
  const drafts: ChangeDraft[] = [draft(null, 'USER_CREATED', { userId: owner.id, data: { kind: 'user', user: owner } })];
  for (const b of BUILT_IN_PERMISSIONS) {
    const permission: PermissionRecord = { orgId, key: b.key, description: b.description, level: 'ORG', resourceTypes: [], grantable: true, builtIn: true };
    drafts.push(draft(null, 'CATALOG_CHANGED', { permissions: [b.key], data: { kind: 'permission', permission } }));
  }
  for (const role of [
    systemRole(orgId, 'Administrator', 'Every management action', false, ['ADMINISTRATOR'], now),
    systemRole(orgId, 'Member', 'Default role of every new user', true, [], now),
  ]) {
    drafts.push(draft(null, 'ROLE_CREATED', { roleId: role.id, permissions: role.permissions, data: { kind: 'role', role } }));
  }
  const keyId = newId('ApiKey');
  const { token, hash } = mintSecret(keyId);
  drafts.push(apiKeyCreatedDraft(null, { id: keyId, orgId, userId: owner.id, name: 'owner key', createdAt: now, expiresAt: null, revokedAt: null }, hash));
  const events = await store.createOrganization(org, drafts);
  return { org, owner, ownerKey: token, events };
}

/** The caller's organization. */
export class OrganizationService {
  constructor(
    private readonly store: Store,
    private readonly feed: ChangeFeed,
  ) {}

  /** A new tenant (see createOrganization), applied to this process's index at once. */
  async create(name: string, ownerEmail: string): Promise<NewOrganization> {
    const created = await createOrganization(this.store, name, ownerEmail);
    this.feed.apply(created.events);
    return created;
  }

  async current(actor: Actor): Promise<OrganizationRecord> {
    return (await this.store.organizationById(actor.orgId))!;
  }

  /** `node(id)` of an organization: only the caller's own. */
  byId(actor: Actor, id: string): Promise<OrganizationRecord | null> {
    return actor.orgId === id ? this.store.organizationById(id) : Promise.resolve(null);
  }
}
