import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Actor } from '../authz/policy.js';
import { badInput, notFound } from '../domain/errors.js';
import type { Services } from './container.js';

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
 * Loads a preset's catalog and roles into an organization, acting as its owner.
 * Re-importing is safe: permissions are redefined, roles of the same name updated.
 */
export async function importPreset(services: Services, orgId: string, name: string): Promise<string> {
  const preset = loadPreset(name);
  const ix = services.registry.get(orgId);
  if (!ix.ownerId) throw badInput('the organization has no owner');
  const owner: Actor = { orgId, userId: ix.ownerId, keyUserId: ix.ownerId, apiKeyId: null };
  await services.catalog.define(owner, preset.permissions);
  let created = 0;
  let updated = 0;
  for (const role of preset.roles) {
    const existing = services.registry.get(orgId).liveRoleByName.get(role.name.toLowerCase());
    if (existing) {
      await services.roles.update(owner, existing, { permissions: role.permissions, description: role.description, isDefault: role.isDefault });
      updated += 1;
    } else {
      await services.roles.create(owner, role);
      created += 1;
    }
  }
  return `preset "${preset.name}": ${preset.permissions.length} permissions defined, ${created} roles created, ${updated} roles updated`;
}
