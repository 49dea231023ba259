import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CheckDocument, type CheckQuery } from '../generated/graphql';
import type { Viewer } from '../shell';
import { Field, orNull } from '../ui/fields';
import { GrantsTable } from '../ui/grants';
import { Refusal } from '../ui/messages';

type Result = CheckQuery['check'][number];

/** One check with its reason: may this user do this permission at this scope? */
export function CheckPage({ viewer }: { viewer: Viewer }) {
  const { request } = useApi();
  const [user, setUser] = useState(viewer.email);
  const [permission, setPermission] = useState('');
  const [scope, setScope] = useState('ORG');
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const s = orNull(scope);
      const r = await request(CheckDocument, { c: { user: user.trim(), permission: permission.trim(), scope: s === 'ORG' ? null : s } });
      setResult(r.check[0] ?? null);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Check</h1>
      <p className="lede">May this user do this here? The answer the API gives, with its reason.</p>
      <form onSubmit={submit} className="inline">
        <Field label="User" value={user} onChange={setUser} required placeholder="e-mail, id or external id" />
        <Field label="Permission" value={permission} onChange={setPermission} required placeholder="P_VIEW_USERS" />
        <Field label="Scope" value={scope} onChange={setScope} placeholder="ORG or a scope key" />
        <button type="submit" disabled={busy}>
          Check
        </button>
      </form>
      <Refusal error={error} />
      {result && (
        <section aria-labelledby="verdict" className={`verdict ${result.allowed ? 'allowed' : 'denied'}`}>
          <h2 id="verdict" role="status">
            {result.allowed ? 'Allowed' : 'Denied'}
          </h2>
          <p className="reason">{result.reason}</p>
          {result.grants.length > 0 && (
            <>
              <h3>Grants that allow it</h3>
              <GrantsTable grants={result.grants} showSubject />
            </>
          )}
        </section>
      )}
    </>
  );
}
