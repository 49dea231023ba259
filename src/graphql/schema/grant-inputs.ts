import { builder } from '../builder.js';
import { DateTime } from '../scalars.js';

export const GrantInputType = builder.inputType('GrantInput', {
  fields: (t) => ({
    scope: t.string({ description: 'Scope key; omitted or "ORG" = the organization' }),
    permissions: t.stringList(),
    roles: t.stringList({ description: 'Role ids or names' }),
    startsAt: t.field({ type: DateTime, description: 'Start of the validity window (omitted: now)' }),
    expiresAt: t.field({ type: DateTime, description: 'End of the validity window, exclusive (omitted: never)' }),
  }),
});

export const PatchOperationEnum = builder.enumType('PatchOperation', {
  values: {
    ADD: { description: 'Add the named grants (held ones are left as they are)' },
    DELETE: { description: 'Remove the named grants (absent ones are ignored)' },
    SET: { description: "Replace the user's grants at that scope" },
  },
});

export const PermissionPatchInput = builder.inputType('PermissionPatch', {
  fields: (t) => ({
    user: t.string({ description: 'The user (id, e-mail or externalId); name exactly one of user and group' }),
    group: t.string({ description: 'The group (id or key) whose grants change; every member, transitively, holds them' }),
    scope: t.string({ required: true, description: 'Scope key, or "ORG"' }),
    operation: t.field({ type: PatchOperationEnum, required: true }),
    permissions: t.stringList(),
    roles: t.stringList(),
    startsAt: t.field({ type: DateTime, description: 'ADD / SET: start of the validity window (omitted: now); a held grant given another window is GRANT_UPDATED' }),
    expiresAt: t.field({ type: DateTime, description: 'ADD / SET: end of the validity window, exclusive (omitted: never)' }),
  }),
});
