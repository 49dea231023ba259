import { useEffect, useState, type FormEvent } from 'react';
import { createGrantqlClient } from 'grantql/client';
import { SignInDocument, type SignInQuery } from './generated/graphql';
import type { Viewer } from './shell';
import { Refusal } from './ui/messages';

interface Props {
  url: string;
  /** A key this tab signed in with before (sessionStorage): tried again once, silently. */
  savedKey: string | null;
  onSignedIn(key: string, viewer: Viewer): void;
  onForget(): void;
}

async function whoAmI(url: string, apiKey: string): Promise<Viewer> {
  const data = await createGrantqlClient({ url, apiKey }).request<SignInQuery>(SignInDocument.toString());
  return { id: data.viewer.id, email: data.viewer.email, isOwner: data.viewer.isOwner, organization: data.organization.name };
}

export function SignIn({ url, savedKey, onSignedIn, onForget }: Props) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!savedKey) return;
    setBusy(true);
    whoAmI(url, savedKey).then(
      (viewer) => onSignedIn(savedKey, viewer),
      (err: Error) => {
        setBusy(false);
        setError(err);
        onForget();
      },
    );
  }, [url, savedKey, onSignedIn, onForget]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(key.trim(), await whoAmI(url, key.trim()));
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <h1>grantql console</h1>
      <p className="lede">
        Sign in with an API key. The owner&apos;s key is in <code>data/owner.key</code> in the server&apos;s data directory (written at the first start). The key stays in this tab
        only, and goes to the server in a header, never in the address.
      </p>
      <form onSubmit={submit} autoComplete="off">
        <label>
          API key
          <input name="api-key" type="password" value={key} onChange={(e) => setKey(e.target.value)} required autoFocus />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {busy && <p role="status">Signing in…</p>}
      <Refusal error={error} />
    </main>
  );
}
