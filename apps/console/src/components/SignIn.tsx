import { useState } from "preact/hooks";
import { ErrorNote } from "./ErrorNote";

/**
 * The token goes in a password field and from there only into request
 * headers: never into the address bar, a cookie or localStorage.
 */
export function SignIn({ onSignIn, notice }: { onSignIn: (token: string) => Promise<void>; notice: string | null }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSignIn(token.trim());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <main class="sign-in">
      <h1>ZeroLagHub console</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <form onSubmit={submit} autocomplete="off">
        <label>
          API token
          <input name="token" type="password" required minLength={16} value={token} onInput={(e) => setToken(e.currentTarget.value)} autofocus />
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      <ErrorNote error={error} />
      <p class="hint">A read token sees everything and changes nothing; panel and admin tokens may act. The token is kept in this tab only.</p>
    </main>
  );
}
