import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

const createdAt = () => integer('created_at').notNull();

export const organizations = sqliteTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  ownerId: text('owner_id'),
  // Head of the organization's change log; the next change gets revision + 1.
  revision: integer('revision').notNull().default(0),
  createdAt: createdAt(),
});

export const users = sqliteTable(
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
    dateJoined: integer('date_joined').notNull(),
  },
  (t) => [
    uniqueIndex('users_org_email_ci').on(t.orgId, sql`lower(${t.email})`),
    uniqueIndex('users_org_external_id').on(t.orgId, t.externalId),
    index('users_org_id').on(t.orgId, t.id),
  ],
);

export const scopes = sqliteTable(
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
    foreignKey({ columns: [t.parentId], foreignColumns: [t.id] }),
  ],
);

export const permissions = sqliteTable(
  'permissions',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    description: text('description'),
    level: text('level', { enum: ['ORG', 'RESOURCE', 'ANY'] }).notNull(),
    resourceTypes: text('resource_types', { mode: 'json' }).$type<string[]>().notNull(),
    grantable: integer('grantable', { mode: 'boolean' }).notNull(),
    builtIn: integer('built_in', { mode: 'boolean' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.key] }),
    check('permissions_level', sql`${t.level} in ('ORG','RESOURCE','ANY')`),
  ],
);

export const roles = sqliteTable(
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
    isDefault: integer('is_default', { mode: 'boolean' }).notNull(),
    discardedAt: integer('discarded_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('roles_org_name_live')
      .on(t.orgId, sql`lower(${t.name})`)
      .where(sql`discarded_at is null`),
    check('roles_name_length', sql`length(${t.name}) between 1 and 50`),
  ],
);

export const rolePermissions = sqliteTable(
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
      columns: [t.orgId, t.permissionKey],
      foreignColumns: [permissions.orgId, permissions.key],
    }),
  ],
);

export const groups = sqliteTable(
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
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('groups_org_key').on(t.orgId, t.key), index('groups_org_id').on(t.orgId, t.id)],
);

// Direct members of a group: a user or a group, told apart by the id's prefix (usr_ / grp_).
// No foreign key on member_id (it names either table): deleting a user or a group removes
// its memberships first, each with its change (services), and the rows go with the group.
export const groupMembers = sqliteTable(
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

export const grants = sqliteTable(
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
    startsAt: integer('starts_at'),
    expiresAt: integer('expires_at'),
    // false while a window that opens after the grant was made has not had its GRANT_STARTED.
    started: integer('started', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    check(
      'grants_one_target',
      sql`(${t.permissionKey} is null) <> (${t.roleId} is null)`,
    ),
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
      columns: [t.orgId, t.permissionKey],
      foreignColumns: [permissions.orgId, permissions.key],
    }),
  ],
);

export const apiKeys = sqliteTable(
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
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_user').on(t.userId)],
);

export const changes = sqliteTable(
  'changes',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    revision: integer('revision').notNull(),
    type: text('type').notNull(),
    at: integer('at').notNull(),
    actorId: text('actor_id'),
    userId: text('user_id'),
    scopeKey: text('scope_key'),
    roleId: text('role_id'),
    groupId: text('group_id'),
    memberGroupId: text('member_group_id'),
    permissions: text('permissions', { mode: 'json' }).$type<string[]>().notNull(),
    // Post-image of the changed row, enough for any replica to apply the change.
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.revision] }),
    index('changes_org_user').on(t.orgId, t.userId, t.revision),
    index('changes_org_group').on(t.orgId, t.groupId, t.revision),
    index('changes_org_member_group').on(t.orgId, t.memberGroupId, t.revision),
  ],
);
