import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { errorOf, makeApi, newClient, type Api } from "../api";
import { ApiContext } from "../context";
import { storedToken, storeToken } from "../session";
import { Layout } from "./Layout";
import { SignIn } from "./SignIn";

/**
 * Signed in or not. The token is checked (GET /v1/whoami, which also says
 * its scope) before anything is shown; when any answer later is 401 (the
 * token expired or was revoked) everything signed-in unmounts, which ends
 * its live streams, and the sign-in page says why.
 */
export function App() {
  const [session, setSession] = useState<Omit<Api, "expire"> | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checking, setChecking] = useState(() => storedToken() !== null);

  const expire = useCallback((message: string) => {
    storeToken(null);
    setSession(null);
    setNotice(`Signed out: ${message}`);
  }, []);

  const signIn = useCallback(async (token: string) => {
    const client = newClient(token);
    const { data, error, response } = await client.api.GET("/v1/whoami");
    if (!data) throw errorOf(response, error);
    storeToken(token);
    setNotice(null);
    setSession(makeApi(client, token, data, expire));
  }, [expire]);

  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    signIn(token)
      .catch((err: Error) => expire(err.message))
      .finally(() => setChecking(false));
  }, [signIn, expire]);

  const api = useMemo(() => (session ? { ...session, expire } : null), [session, expire]);
  if (checking) return <p class="notice">Signing in…</p>;
  if (!api) return <SignIn onSignIn={signIn} notice={notice} />;
  return (
    <ApiContext.Provider value={api}>
      <Layout onSignOut={() => expire("you signed out.")} />
    </ApiContext.Provider>
  );
}
