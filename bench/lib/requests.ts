import { effectiveAt, type Dataset } from './model.js';
import { int, rng, zipfPicker } from './random.js';

/** Check request keys by index: user, permission, scope (-1 = ORG). */
export interface Requests {
  user: Int32Array;
  perm: Int32Array;
  scope: Int32Array;
}

/**
 * Zipf-skewed check traffic. Most keys follow a grant the user really holds (an app
 * mostly asks about things people can do), the rest are arbitrary triples, which are
 * mostly denied. Which ones are allowed is decided by the evaluators, not assumed here.
 */
export function requestKeys(ds: Dataset, count: number, seed = 11): Requests {
  const r = rng(seed);
  const users = zipfPicker(r, Array.from({ length: ds.size.users }, (_, i) => i), 1.0);
  const perms = zipfPicker(r, ds.perms.map((_, i) => i), 1.0);
  const regions = zipfPicker(r, Array.from({ length: ds.regionCount }, (_, i) => i), 0.8);
  const props = zipfPicker(r, Array.from({ length: ds.scopes.length - ds.regionCount }, (_, i) => ds.regionCount + i), 0.8);
  const permIndex = new Map(ds.perms.map((p, i) => [p.key, i]));
  const childOf = (region: number) => ds.regionCount + region * ds.size.propertiesPerRegion + int(r, ds.size.propertiesPerRegion);
  const out: Requests = { user: new Int32Array(count), perm: new Int32Array(count), scope: new Int32Array(count) };
  for (let i = 0; i < count; i++) {
    const u = users(r);
    let perm: number;
    let scope: number;
    if (r() < 0.65) {
      const g = ds.userStart[u]! + int(r, ds.userStart[u + 1]! - ds.userStart[u]!);
      const role = ds.gRole[g]!;
      perm = role >= 0 ? permIndex.get(ds.roles[role]!.perms[int(r, ds.roles[role]!.perms.length)]!)! : ds.gPerm[g]!;
      const at = ds.gScope[g]!;
      const x = r();
      if (at === -1) scope = x < 0.4 ? -1 : x < 0.6 ? regions(r) : props(r);
      else if (ds.scopes[at]!.type === 'region') scope = x < 0.5 ? at : childOf(at);
      else scope = at;
      // Ask where the permission can take effect, as a real app would (mostly).
      if (r() < 0.9 && !effectiveAt(ds.perms[perm]!, scope === -1 ? null : ds.scopes[scope]!.type)) {
        scope = ds.perms[perm]!.level === 'ORG' ? -1 : scope === -1 ? props(r) : scope;
      }
    } else {
      perm = perms(r);
      const x = r();
      scope = x < 0.1 ? -1 : x < 0.3 ? regions(r) : props(r);
    }
    out.user[i] = u;
    out.perm[i] = perm;
    out.scope[i] = scope;
  }
  return out;
}
