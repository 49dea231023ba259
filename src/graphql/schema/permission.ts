import type { PermissionRecord } from '../../domain/types.js';
import { builder } from '../builder.js';
import { actorOf } from '../context.js';
import { PermissionLevelEnum, PermissionRef } from './refs.js';

PermissionRef.implement({
  description: 'A catalog entry: where it may be granted (level) and where it takes effect (resourceTypes)',
  fields: (t) => ({
    key: t.exposeString('key'),
    description: t.exposeString('description', { nullable: true }),
    level: t.field({ type: PermissionLevelEnum, resolve: (p) => p.level }),
    resourceTypes: t.stringList({ resolve: (p) => [...p.resourceTypes].sort() }),
    grantable: t.exposeBoolean('grantable'),
    builtIn: t.exposeBoolean('builtIn'),
  }),
});

const PermissionInput = builder.inputType('PermissionInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    description: t.string(),
    level: t.field({ type: PermissionLevelEnum, required: true }),
    resourceTypes: t.stringList({ description: 'Scope types it takes effect on; empty = any' }),
    grantable: t.boolean({ description: 'false: listed, never assignable through the API (default true)' }),
  }),
});

const CatalogPayload = builder.objectRef<{ revision: number; value: PermissionRecord[] }>('CatalogPayload').implement({
  fields: (t) => ({ revision: t.exposeInt('revision'), permissions: t.field({ type: [PermissionRef], resolve: (p) => p.value }) }),
});

builder.queryField('permissions', (t) =>
  t.field({
    type: [PermissionRef],
    args: { level: t.arg({ type: PermissionLevelEnum }) },
    resolve: (_r, args, ctx) => ctx.services.catalog.list(actorOf(ctx), args.level),
  }),
);

builder.mutationField('definePermissions', (t) =>
  t.field({
    type: CatalogPayload,
    description: 'Define or redefine custom permissions; all-or-nothing',
    args: { permissions: t.arg({ type: [PermissionInput], required: true }) },
    resolve: (_r, a, ctx) => ctx.services.catalog.define(actorOf(ctx), a.permissions),
  }),
);
