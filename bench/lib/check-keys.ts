import { can } from '../../src/authz/evaluator.js';
import type { OrgIndex } from '../../src/authz/org-index.js';
import type { PermissionRecord } from '../../src/domain/types.js';
import { email, type Dataset } from './model.js';
import type { Requests } from './requests.js';

/** Check keys resolved against one index (ids, permission records), with the evaluator's answers. */
export interface ResolvedKeys {
  users: string[];
  perms: PermissionRecord[];
  scopes: Array<string | null>;
  truth: boolean[];
  allowed: number[];
  denied: number[];
}

export function resolveKeys(ix: OrgIndex, ds: Dataset, req: Requests): ResolvedKeys {
  const n = req.user.length;
  const out: ResolvedKeys = { users: [], perms: [], scopes: [], truth: [], allowed: [], denied: [] };
  for (let i = 0; i < n; i++) {
    out.users.push(ix.userByEmail.get(email(req.user[i]!))!);
    out.perms.push(ix.catalog.get(ds.perms[req.perm[i]!]!.key)!);
    out.scopes.push(req.scope[i]! < 0 ? null : ix.scopeByKey.get(ds.scopes[req.scope[i]!]!.key)!);
  }
  for (let i = 0; i < n; i++) {
    const t = can(ix, out.users[i]!, out.perms[i]!, out.scopes[i]!);
    out.truth.push(t);
    (t ? out.allowed : out.denied).push(i);
  }
  return out;
}

/** A check function over resolved keys, for `measure`. */
export const checker = (ix: OrgIndex, k: ResolvedKeys) => (i: number) => can(ix, k.users[i]!, k.perms[i]!, k.scopes[i]!);
