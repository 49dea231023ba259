import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Actor } from '../authz/policy.js';
import { badInput, conflict, notFound } from '../domain/errors.js';
import type { Services } from './container.js';
import { describeChanges, planPreset } from './preset-plan.js';

export const PRESETS_DIR = fileURLToPath(new URL('../../presets', import.meta.url));

const presetSchema = z.object({
  name: z.string(),
  description: z.string(),
  source: z.string(),
  permissions: z.array(
    z.object({
      key: z.string(),
      description: z.string().optional(),
      level: z.enum(['ORG', 'RESOURCE', 'ANY']),
      resourceTypes: z.array(z.string()).optional(),
      grantable: z.boolean().optional(),
    }),
  ),
  roles: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      scopeType: z.string().optional(),
      isDefault: z.boolean().optional(),
      permissions: z.array(z.string()),
    }),
  ),
});
export type Preset = z.infer<typeof presetSchema>;

export function listPresets(): Preset[] {
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => presetSchema.parse(JSON.parse(readFileSync(`${PRESETS_DIR}/${f}`, 'utf8'))));
}

export function loadPreset(name: string): Preset {
  const preset = listPresets().find((p) => p.name === name);
  if (!preset) throw notFound(`no preset named "${name}"; available: ${listPresets().map((p) => p.name).join(', ')}`);
  return preset;
}

/**
 * Loads a preset's catalog and roles into an organization, acting as its owner. What the
 * organization lacks is added; what it already has as the preset has it is left alone; a
 * permission or role it defines otherwise (a role someone edited, a permission redefined)
 * is changed only with `force`: without it the import is refused (CONFLICT) listing every
 * such change, and nothing is written, so an import can never widen a role silently.
 */
export async function importPreset(services: Services, orgId: string, name: string, opts: { force?: boolean } = {}): Promise<string> {
  const preset = loadPreset(name);
  const ix = services.registry.get(orgId);
  if (!ix.ownerId) throw badInput('the organization has no owner');
  const owner: Actor = { orgId, userId: ix.ownerId, keyUserId: ix.ownerId, apiKeyId: null };
  const existing = await services.store.rolesByIds(orgId, [...ix.liveRoleByName.values()]);
  const plan = planPreset(ix, new Map(existing.map((r) => [r.id, r])), preset);
  if (plan.impossible.length) throw conflict(`preset "${preset.name}" cannot be imported: ${plan.impossible.join('; ')}. Nothing was changed.`);
  const changes = describeChanges(plan);
  if (changes.length && !opts.force) {
    throw conflict(`preset "${preset.name}" would change what this organization already defines:\n  ${changes.join('\n  ')}\nNothing was changed. Run it again with --force to apply these changes.`);
  }
  const define = [...plan.newPermissions, ...plan.changedPermissions.map((c) => c.permission)];
  if (define.length) await services.catalog.define(owner, define);
  for (const role of plan.newRoles) await services.roles.create(owner, role);
  for (const c of plan.changedRoles) await services.roles.update(owner, c.existing.id, { permissions: c.role.permissions, description: c.role.description, isDefault: c.role.isDefault });
  const summary = `preset "${preset.name}": ${define.length} permissions defined, ${plan.newRoles.length} roles created, ${plan.changedRoles.length} roles updated, ${plan.unchanged} already as the preset has them`;
  return changes.length ? `${summary}\nchanged (--force):\n  ${changes.join('\n  ')}` : summary;
}
