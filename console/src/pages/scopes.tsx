import { useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CreateScopeDocument, ScopesDocument, type ScopesQuery } from '../generated/graphql';
import { href } from '../route';
import { useAction } from '../ui/async';
import { Field, orNull } from '../ui/fields';
import { Loading, Outcome, Refusal } from '../ui/messages';

type ScopeNode = ScopesQuery['scopes']['edges'][number]['node'];
/** The tree is drawn from at most this many scopes (10 pages); past it, open a scope by key. */
const MAX_SCOPES = 5000;

function useAllScopes(version: number): { scopes: ScopeNode[] | null; total: number; error: Error | null } {
  const { request } = useApi();
  const [state, setState] = useState<{ scopes: ScopeNode[] | null; total: number; error: Error | null }>({ scopes: null, total: 0, error: null });
  useEffect(() => {
    let live = true;
    (async () => {
      const all: ScopeNode[] = [];
      let after: string | null = null;
      let total = 0;
      do {
        const page: ScopesQuery = await request(ScopesDocument, { after });
        all.push(...page.scopes.edges.map((e) => e.node));
        total = page.scopes.totalCount;
        after = page.scopes.pageInfo.hasNextPage ? page.scopes.pageInfo.endCursor : null;
      } while (after && all.length < MAX_SCOPES);
      if (live) setState({ scopes: all, total, error: null });
    })().catch((error: Error) => live && setState((s) => ({ ...s, error })));
    return () => {
      live = false;
    };
  }, [request, version]);
  return state;
}

function Tree({ parent, byParent }: { parent: string | null; byParent: Map<string | null, ScopeNode[]> }) {
  const children = byParent.get(parent) ?? [];
  if (children.length === 0) return null;
  return (
    <ul>
      {children.map((s) => (
        <li key={s.id}>
          <a href={href('scopes', s.key)}>{s.key}</a> <span className="type">{s.type}</span>
          {s.name ? ` ${s.name}` : ''}
          <Tree parent={s.key} byParent={byParent} />
        </li>
      ))}
    </ul>
  );
}

function NewScope({ onCreated }: { onCreated(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [key, setKey] = useState('');
  const [type, setType] = useState('');
  const [name, setName] = useState('');
  const [parent, setParent] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      const r = await request(CreateScopeDocument, { i: { key: key.trim(), type: type.trim(), name: orNull(name), parent: orNull(parent) } });
      return `Created scope ${r.createScope.scope.key} (revision ${r.createScope.revision}).`;
    });
    if (ok) {
      setKey('');
      setName('');
      onCreated();
    }
  }
  return (
    <section aria-labelledby="new-scope">
      <h2 id="new-scope">New scope</h2>
      <form onSubmit={submit} className="inline">
        <Field label="Key" value={key} onChange={setKey} required placeholder="D#1234567003789492274" />
        <Field label="Type" value={type} onChange={setType} required placeholder="property" />
        <Field label="Name" value={name} onChange={setName} />
        <Field label="Parent" value={parent} onChange={setParent} placeholder="a scope key (empty: top level)" />
        <button type="submit" disabled={action.busy}>
          Create scope
        </button>
      </form>
      <Outcome action={action} />
    </section>
  );
}

export function ScopesPage() {
  const [version, setVersion] = useState(0);
  const { scopes, total, error } = useAllScopes(version);
  const byParent = new Map<string | null, ScopeNode[]>();
  for (const s of scopes ?? []) {
    const p = s.parent?.key ?? null;
    byParent.set(p, [...(byParent.get(p) ?? []), s]);
  }
  return (
    <>
      <h1>Scopes</h1>
      <Refusal error={error} />
      {!scopes && !error && <Loading what="scopes" />}
      {scopes && (
        <nav aria-label="Scope tree" className="tree">
          <ul>
            <li>
              <a href={href('scopes', 'ORG')}>ORG</a> <span className="type">the organization</span>
              <Tree parent={null} byParent={byParent} />
            </li>
          </ul>
          {total > scopes.length && <p className="hint">The first {scopes.length} of {total} scopes are drawn.</p>}
        </nav>
      )}
      <NewScope onCreated={() => setVersion((v) => v + 1)} />
    </>
  );
}
