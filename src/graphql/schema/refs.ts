import type { CheckResult } from '../../authz/queries.js';
import type {
  ApiKeyRecord,
  ChangeEvent,
  GrantRecord,
  OrganizationRecord,
  PermissionRecord,
  RoleRecord,
  ScopeRecord,
  UserRecord,
} from '../../domain/types.js';
import { builder } from '../builder.js';

/** Object refs declared once, so type files can point at each other without import cycles. */
export const OrganizationRef = builder.objectRef<OrganizationRecord>('Organization');
export const UserRef = builder.objectRef<UserRecord>('User');
export const ScopeRef = builder.objectRef<ScopeRecord>('Scope');
export const PermissionRef = builder.objectRef<PermissionRecord>('Permission');
export const RoleRef = builder.objectRef<RoleRecord>('Role');
export const GrantRef = builder.objectRef<GrantRecord>('Grant');
export const ApiKeyRef = builder.objectRef<ApiKeyRecord>('ApiKey');
export const ChangeRef = builder.objectRef<ChangeEvent>('PermissionChange');
export const CheckResultRef = builder.objectRef<CheckResult>('CheckResult');

export const PermissionLevelEnum = builder.enumType('PermissionLevel', { values: ['ORG', 'RESOURCE', 'ANY'] as const });
export const RoleTypeEnum = builder.enumType('RoleType', { values: ['SYSTEM', 'CUSTOM'] as const });

export const UserConnection = builder.connectionObject(
  { type: UserRef, name: 'UserConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: number }).totalCount }) }) },
  { name: 'UserEdge' },
);
export const RoleConnection = builder.connectionObject(
  { type: RoleRef, name: 'RoleConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: number }).totalCount }) }) },
  { name: 'RoleEdge' },
);
export const ScopeConnection = builder.connectionObject(
  { type: ScopeRef, name: 'ScopeConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: number }).totalCount }) }) },
  { name: 'ScopeEdge' },
);
export const GrantConnection = builder.connectionObject(
  { type: GrantRef, name: 'GrantConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: number }).totalCount }) }) },
  { name: 'GrantEdge' },
);
export const ChangeConnection = builder.connectionObject(
  { type: ChangeRef, name: 'ChangeConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: number }).totalCount }) }) },
  { name: 'ChangeEdge' },
);
