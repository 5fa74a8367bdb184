import { useId, useState, type FormEvent } from 'react';
import { asFerryError } from '../lib/hooks';
import { useSessionControls } from '../lib/session';
import type { FerryError } from '../../../client/runtime';
import { ErrorNotice } from '../components/notice';

/** Sign-in with an API token: kept for this tab only, never put in the address. */
export function SignIn() {
  const { signIn } = useSessionControls();
  const id = useId();
  const [token, setToken] = useState('');
  const [error, setError] = useState<FerryError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token);
    } catch (caught) {
      setError(asFerryError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="content">
      <h1>Ferry console</h1>
      <form onSubmit={submit} aria-describedby={`${id}-help`}>
        <label htmlFor={`${id}-token`}>API token</label>
        <input
          id={`${id}-token`}
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        <p id={`${id}-help`} className="muted">
          The token is kept for this browser tab only and sent to Ferry alone. Ferry prints a platform-admin token on its first start; others come from <code>createApiToken</code>.
        </p>
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorNotice error={error} what="Sign-in failed" />
      </form>
    </main>
  );
}
