/**
 * Heap taken by an organization's OrgIndex per grant (a measurement, not a test):
 *   node --expose-gc --import tsx test/authz/index-memory.ts
 * Builds snapshots of 100k and 200k grants over 10k users and 2k scopes, loads each
 * into an index, and reports heapUsed growth; the slope between the two sizes is the
 * cost per grant without the fixed cost of users, scopes, roles and the catalog.
 */
import { OrgIndex } from '../../src/authz/org-index.js';
import type { PermissionRecord } from '../../src/domain/types.js';
import type { GrantRow, OrgSnapshot } from '../../src/store/store.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const USERS = 10_000;
const SCOPES = 2_000;
const PERMS = 40;
const ROLES = 20;

/** Fresh strings per grant row, as rows read from SQLite are. */
const fresh = (s: string) => `${s.slice(0, 1)}${s.slice(1)}`;

function snapshot(grants: number): OrgSnapshot {
  const orgId = 'org_1';
  const users = Array.from({ length: USERS }, (_, i) => ({ id: `usr_${i}`, orgId, email: `u${i}@x.test`, externalId: null, firstName: null, lastName: null, dateJoined: 0 }));
  const scopes = Array.from({ length: SCOPES }, (_, i) => ({ id: `scp_${i}`, orgId, key: `S${i}`, type: i % 10 === 0 ? 'company' : 'property', name: null, parentId: i % 10 === 0 ? null : `scp_${i - (i % 10)}`, createdAt: 0 }));
  const permissions: PermissionRecord[] = Array.from({ length: PERMS }, (_, i) => ({ orgId, key: `P_${i}`, description: null, level: 'ANY', resourceTypes: [], grantable: true, builtIn: false }));
  const roles = Array.from({ length: ROLES }, (_, i) => ({ id: `rol_${i}`, orgId, name: `R${i}`, description: null, roleType: 'CUSTOM' as const, scopeType: 'property', isDefault: false, discardedAt: null, createdAt: 0, updatedAt: 0, permissions: [`P_${i}`, `P_${i + 1}`] }));
  const rows: GrantRow[] = [];
  const seen = new Set<string>();
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 48_271) % 2_147_483_647), seed % n); // Park–Miller, exact in doubles
  for (let n = 0; rows.length < grants; n++) {
    const u = rand(USERS);
    const sc = rand(SCOPES);
    const role = n % 4 === 0;
    const item = role ? `rol_${rand(ROLES)}` : `P_${rand(PERMS)}`;
    const k = `${u}|${sc}|${item}`;
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push([fresh(`usr_${u}`), fresh(`scp_${sc}`), role ? null : fresh(item), role ? fresh(item) : null]);
  }
  return { org: { id: orgId, name: 'm', ownerId: 'usr_0', revision: 1, createdAt: 0 }, users, scopes, permissions, roles, grants: rows, groups: [], members: [], liveKeys: [] };
}

function heapOfIndex(grants: number): number {
  let snap: OrgSnapshot | null = snapshot(grants);
  gc!();
  const before = process.memoryUsage().heapUsed;
  const ix = new OrgIndex('org_1', snap);
  snap = null; // the index must not keep the snapshot's rows alive
  gc!();
  const after = process.memoryUsage().heapUsed;
  if (ix.grantCount !== grants) throw new Error(`expected ${grants} grants, got ${ix.grantCount}`);
  return after - before;
}

heapOfIndex(10_000); // warm up code and hidden classes
const a = heapOfIndex(100_000);
const b = heapOfIndex(200_000);
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(`index heap: 100k grants ${mb(a)} MB (${Math.round(a / 100_000)} B/grant incl. fixed), 200k grants ${mb(b)} MB`);
console.log(`marginal cost: ${Math.round((b - a) / 100_000)} bytes per grant (${USERS} users, ${SCOPES} scopes)`);
