import { useCallback, useState } from 'react';
import { ApiProvider } from './api';
import { apiUrl, saveKey, savedKey } from './session';
import { Shell, type Viewer } from './shell';
import { SignIn } from './sign-in';

/** Signed out: the sign-in form. Signed in: the console, with one API client for the key. */
export function App() {
  const [session, setSession] = useState<{ key: string; viewer: Viewer | null } | null>(() => {
    const key = savedKey();
    return key ? { key, viewer: null } : null;
  });
  const signOut = useCallback(() => {
    saveKey(null);
    setSession(null);
  }, []);
  const signedIn = useCallback((key: string, viewer: Viewer) => {
    saveKey(key);
    setSession({ key, viewer });
  }, []);
  if (!session?.viewer) return <SignIn url={apiUrl()} savedKey={session?.key ?? null} onSignedIn={signedIn} onForget={signOut} />;
  return (
    <ApiProvider url={apiUrl()} apiKey={session.key}>
      <Shell viewer={session.viewer} onSignOut={signOut} />
    </ApiProvider>
  );
}
