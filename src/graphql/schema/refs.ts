import type { CheckResult } from '../../authz/queries.js';
import type { ApiKeyRecord, ChangeEvent, GrantRecord, GroupRecord, OrganizationRecord, PermissionRecord, RoleRecord, ScopeRecord, UserRecord } from '../../domain/types.js';
import type { ObjectRef } from '@pothos/core';
import { builder } from '../builder.js';

/** Object refs declared once, so type files can point at each other without import cycles. */
export const OrganizationRef = builder.objectRef<OrganizationRecord>('Organization');
export const UserRef = builder.objectRef<UserRecord>('User');
export const ScopeRef = builder.objectRef<ScopeRecord>('Scope');
export const PermissionRef = builder.objectRef<PermissionRecord>('Permission');
export const RoleRef = builder.objectRef<RoleRecord>('Role');
export const GrantRef = builder.objectRef<GrantRecord>('Grant');
export const GroupRef = builder.objectRef<GroupRecord>('Group');
export const ApiKeyRef = builder.objectRef<ApiKeyRecord>('ApiKey');
export const ChangeRef = builder.objectRef<ChangeEvent>('PermissionChange');
export const CheckResultRef = builder.objectRef<CheckResult>('CheckResult');

export const PermissionLevelEnum = builder.enumType('PermissionLevel', { values: ['ORG', 'RESOURCE', 'ANY'] as const });
export const RoleTypeEnum = builder.enumType('RoleType', { values: ['SYSTEM', 'CUSTOM'] as const });

/** A Relay connection named `<Name>Connection` with `totalCount`, and its `<Name>Edge`. */
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

function connectionOf<T extends object>(type: ObjectRef<Types, T>, name: string) {
  return builder.connectionObject(
    { type, name: `${name}Connection`, fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: () => number | Promise<number> }).totalCount() }) }) },
    { name: `${name}Edge` },
  );
}

export const UserConnection = connectionOf(UserRef, 'User');
export const RoleConnection = connectionOf(RoleRef, 'Role');
export const ScopeConnection = connectionOf(ScopeRef, 'Scope');
export const GrantConnection = connectionOf(GrantRef, 'Grant');
export const ChangeConnection = connectionOf(ChangeRef, 'Change');
export const GroupConnection = connectionOf(GroupRef, 'Group');
export const ApiKeyConnection = connectionOf(ApiKeyRef, 'ApiKey');
