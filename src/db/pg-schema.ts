// The PostgreSQL twin of schema.ts: same tables, column names and uniqueness rules, so
// one store contract holds for both. Differences, and why:
// - millisecond timestamps and revisions are bigint (mode 'number': exact up to 2^53,
//   which ms since 1970 and any revision stay far below); int4 would overflow in 1970+24d.
// - booleans are boolean; the JSON columns are jsonb (validated on write, parsed by the
//   driver on read; arrays keep their order, object keys do not keep theirs).
// - external_id is unique case-insensitively, as references compare it in every direction.
// - composite foreign keys are named, as drizzle-kit's generated names pass PostgreSQL's
//   63-byte identifier limit and would be silently truncated.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => ms('created_at').notNull();

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  ownerId: text('owner_id'),
  // Head of the organization's change log; the next change gets revision + 1.
  revision: ms('revision').notNull().default(0),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    externalId: text('external_id'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    dateJoined: ms('date_joined').notNull(),
  },
  (t) => [
    uniqueIndex('users_org_email_ci').on(t.orgId, sql`lower(${t.email})`),
    // NULLs never collide, so any number of users may have no external id.
    uniqueIndex('users_org_external_id_ci').on(t.orgId, sql`lower(${t.externalId})`),
    index('users_org_id').on(t.orgId, t.id),
  ],
);

export const scopes = pgTable(
  'scopes',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    type: text('type').notNull(),
    name: text('name'),
    parentId: text('parent_id'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('scopes_org_key').on(t.orgId, t.key),
    index('scopes_parent').on(t.parentId),
    index('scopes_org_type').on(t.orgId, t.type),
    foreignKey({ name: 'scopes_parent_fk', columns: [t.parentId], foreignColumns: [t.id] }),
  ],
);

export const permissions = pgTable(
  'permissions',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    description: text('description'),
    level: text('level', { enum: ['ORG', 'RESOURCE', 'ANY'] }).notNull(),
    resourceTypes: jsonb('resource_types').$type<string[]>().notNull(),
    grantable: boolean('grantable').notNull(),
    builtIn: boolean('built_in').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.key] }),
    check('permissions_level', sql`${t.level} in ('ORG','RESOURCE','ANY')`),
  ],
);

export const roles = pgTable(
  'roles',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    roleType: text('role_type', { enum: ['SYSTEM', 'CUSTOM'] }).notNull(),
    scopeType: text('scope_type').notNull(),
    isDefault: boolean('is_default').notNull(),
    discardedAt: ms('discarded_at'),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('roles_org_name_live')
      .on(t.orgId, sql`lower(${t.name})`)
      .where(sql`discarded_at is null`),
    check('roles_name_length', sql`length(${t.name}) between 1 and 50`),
  ],
);

export const rolePermissions = pgTable(
  'role_permissions',
  {
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    orgId: text('org_id').notNull(),
    permissionKey: text('permission_key').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.roleId, t.permissionKey] }),
    foreignKey({
      name: 'role_permissions_permission_fk',
      columns: [t.orgId, t.permissionKey],
      foreignColumns: [permissions.orgId, permissions.key],
    }),
  ],
);

export const groups = pgTable(
  'groups',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    name: text('name'),
    description: text('description'),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [uniqueIndex('groups_org_key').on(t.orgId, t.key), index('groups_org_id').on(t.orgId, t.id)],
);

// Direct members of a group: a user or a group, told apart by the id's prefix (usr_ / grp_).
// No foreign key on member_id (it names either table): deleting a user or a group removes
// its memberships first, each with its change (services), and the rows go with the group.
export const groupMembers = pgTable(
  'group_members',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    memberId: text('member_id').notNull(),
    createdAt: createdAt(),
    createdBy: text('created_by'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.memberId] }), index('group_members_member').on(t.orgId, t.memberId)],
);

export const grants = pgTable(
  'grants',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    // The subject: one user or one group (grants_one_subject).
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'cascade' }),
    // null = the organization itself ("ORG")
    scopeId: text('scope_id').references(() => scopes.id, { onDelete: 'cascade' }),
    permissionKey: text('permission_key'),
    roleId: text('role_id').references(() => roles.id),
    createdAt: createdAt(),
    createdBy: text('created_by'),
    // The validity window [starts_at, expires_at), ms since the epoch; null = open on that side.
    startsAt: ms('starts_at'),
    expiresAt: ms('expires_at'),
    // false while a window that opens after the grant was made has not had its GRANT_STARTED.
    started: boolean('started').notNull().default(true),
  },
  (t) => [
    check('grants_one_target', sql`(${t.permissionKey} is null) <> (${t.roleId} is null)`),
    check('grants_one_subject', sql`(${t.userId} is null) <> (${t.groupId} is null)`),
    // One row per (user, scope, permission | role); NULL scope (ORG) needs its own
    // partial index because NULLs never collide in a unique index.
    uniqueIndex('grants_scope_perm')
      .on(t.userId, t.scopeId, t.permissionKey)
      .where(sql`scope_id is not null and permission_key is not null`),
    uniqueIndex('grants_org_perm')
      .on(t.userId, t.permissionKey)
      .where(sql`scope_id is null and permission_key is not null`),
    uniqueIndex('grants_scope_role')
      .on(t.userId, t.scopeId, t.roleId)
      .where(sql`scope_id is not null and role_id is not null`),
    uniqueIndex('grants_org_role')
      .on(t.userId, t.roleId)
      .where(sql`scope_id is null and role_id is not null`),
    uniqueIndex('grants_group_scope_perm')
      .on(t.groupId, t.scopeId, t.permissionKey)
      .where(sql`group_id is not null and scope_id is not null and permission_key is not null`),
    uniqueIndex('grants_group_org_perm')
      .on(t.groupId, t.permissionKey)
      .where(sql`group_id is not null and scope_id is null and permission_key is not null`),
    uniqueIndex('grants_group_scope_role')
      .on(t.groupId, t.scopeId, t.roleId)
      .where(sql`group_id is not null and scope_id is not null and role_id is not null`),
    uniqueIndex('grants_group_org_role')
      .on(t.groupId, t.roleId)
      .where(sql`group_id is not null and scope_id is null and role_id is not null`),
    index('grants_group').on(t.groupId, t.scopeId),
    index('grants_org').on(t.orgId, t.id),
    index('grants_user').on(t.userId, t.scopeId),
    index('grants_scope').on(t.scopeId),
    index('grants_role').on(t.roleId),
    foreignKey({
      name: 'grants_permission_fk',
      columns: [t.orgId, t.permissionKey],
      foreignColumns: [permissions.orgId, permissions.key],
    }),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    // SHA-256 of the whole secret, hex; the secret itself is never stored.
    hash: text('hash').notNull(),
    createdAt: createdAt(),
    expiresAt: ms('expires_at'),
    revokedAt: ms('revoked_at'),
  },
  (t) => [index('api_keys_user').on(t.userId)],
);

export const changes = pgTable(
  'changes',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    revision: ms('revision').notNull(),
    type: text('type').notNull(),
    at: ms('at').notNull(),
    actorId: text('actor_id'),
    userId: text('user_id'),
    scopeKey: text('scope_key'),
    roleId: text('role_id'),
    groupId: text('group_id'),
    memberGroupId: text('member_group_id'),
    permissions: jsonb('permissions').$type<string[]>().notNull(),
    // Post-image of the changed row, enough for any replica to apply the change.
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.revision] }),
    index('changes_org_user').on(t.orgId, t.userId, t.revision),
    index('changes_org_group').on(t.orgId, t.groupId, t.revision),
    index('changes_org_member_group').on(t.orgId, t.memberGroupId, t.revision),
  ],
);
