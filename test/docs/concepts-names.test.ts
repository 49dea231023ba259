import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_KEYS } from '../../src/domain/catalog-rules.js';
import { EXAMPLE_PERMISSIONS } from './concepts-scenario.js';

const ROOT = join(import.meta.dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/concepts.md'), 'utf8');
const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
const ERROR_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT', 'LIMIT_EXCEEDED', 'UNAVAILABLE']);

/** Every name the schema defines: types, fields and input fields by type, arguments, enum values. */
const types = new Set(Object.keys(schema.getTypeMap()).filter((t) => !t.startsWith('__')));
const fieldsOf = new Map<string, Set<string>>();
const names = new Set<string>();
const argsOf = new Map<string, Set<string>>();
const enumValues = new Set<string>();
for (const type of Object.values(schema.getTypeMap())) {
  if (type.name.startsWith('__')) continue;
  if (isEnumType(type)) for (const v of type.getValues()) enumValues.add(v.name);
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    fieldsOf.set(type.name, new Set(fields.map((f) => f.name)));
    for (const f of fields) {
      names.add(f.name);
      const args: string[] = 'args' in f ? f.args.map((a: { name: string }) => a.name) : [];
      for (const a of args) names.add(a);
      argsOf.set(f.name, new Set([...(argsOf.get(f.name) ?? []), ...args]));
    }
  }
}

/** The doc's inline code spans (not its fenced blocks). */
function codeSpans(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
}

/** What a span names in the schema, and whether it does; null when it is no GraphQL name (a string, a path, a sentence). */
function problemOf(span: string): string | null {
  if (/^".*"$/.test(span) || /^[A-Z]+_$/.test(span) || span.includes('/') || /^[a-z]\w*\.[a-z]/.test(span) || span.includes('-')) return null;
  const member = /^([A-Z]\w*)\.(\w+)$/.exec(span);
  if (member) return fieldsOf.get(member[1]!)?.has(member[2]!) ? null : `${span}: no field ${member[2]} on ${member[1]}`;
  const call = /^(\w+)\((.*)\)$/.exec(span);
  if (call) {
    if (!names.has(call[1]!)) return `${span}: no field ${call[1]}`;
    const missing = [...call[2]!.matchAll(/(\w+):/g)].map((m) => m[1]!).filter((a) => !argsOf.get(call[1]!)?.has(a));
    return missing.length ? `${span}: ${call[1]} has no argument ${missing.join(', ')}` : null;
  }
  const assignment = /^(\w+): \S+$/.exec(span);
  if (assignment) return names.has(assignment[1]!) ? null : `${span}: no field or argument ${assignment[1]}`;
  if (span.includes(' ')) return null;
  if (/^[A-Z][A-Z0-9_]*$/.test(span)) {
    const known = enumValues.has(span) || BUILT_IN_KEYS.has(span) || ERROR_CODES.has(span) || EXAMPLE_PERMISSIONS.includes(span);
    return known ? null : `${span}: not an enum value, a built-in or example permission, or an error code`;
  }
  if (/^[A-Z]\w*$/.test(span)) return types.has(span) ? null : `${span}: no type ${span}`;
  if (/^[a-z]\w*$/.test(span)) return names.has(span) ? null : `${span}: no field, input field or argument ${span}`;
  return null;
}

describe('docs/concepts.md', () => {
  it("is linked from the README's first screen", () => {
    const firstScreen = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').slice(0, 30).join('\n');
    expect(firstScreen).toMatch(/\]\(docs\/concepts\.md\)/);
  });

  it('names only GraphQL types, fields, arguments and enum values that schema.graphql has', () => {
    const spans = codeSpans(doc);
    expect(spans.length).toBeGreaterThan(100);
    expect(spans.map(problemOf).filter((p) => p !== null)).toEqual([]);
  });

  it('tells names that do not exist apart (the check can fail)', () => {
    for (const wrong of ['Grant.activ', 'patchPermission', 'PermissionPatchInput', 'addGroupMembers(group:, members:)', 'RESOURCES', 'isDefault2: true']) {
      expect(problemOf(wrong), wrong).not.toBeNull();
    }
    for (const right of ['Grant.active', 'patchPermissions', 'PermissionPatch', 'addGroupMembers(group:, users:, groups:)', 'RESOURCE', 'isDefault: true', '"Member"', 'data/owner.key']) {
      expect(problemOf(right), right).toBeNull();
    }
  });
});
