import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { FerryClient } from '../../../client/runtime';
import { ViewerDocument, type Role } from '../../../client/generated/graphql';

/**
 * The signed-in tab: the API token lives in sessionStorage (this tab only, gone when it closes,
 * never in a URL), with the organisation being looked at.
 */
export interface Session {
  client: FerryClient;
  role: Role;
  tokenId: string;
  /** The token's own organisation; null for a platform admin. */
  homeOrganizationId: string | null;
  /** The organisation the console shows. */
  organizationId: string | null;
  canWrite: boolean;
}

interface SessionContextValue {
  session: Session | null;
  signIn(token: string): Promise<void>;
  signOut(): void;
  chooseOrganization(id: string): void;
}

const TOKEN_KEY = 'ferry.console.token';
const ORGANIZATION_KEY = 'ferry.console.organization';
const graphqlUrl = () => `${window.location.origin}/graphql`;

const SessionContext = createContext<SessionContextValue | null>(null);

async function open(token: string, organizationId: string | null): Promise<Session> {
  const client = new FerryClient({ url: graphqlUrl(), token });
  const { viewer } = await client.request(ViewerDocument);
  const home = viewer.organizationId ?? null;
  return {
    client,
    role: viewer.role,
    tokenId: viewer.tokenId,
    homeOrganizationId: home,
    organizationId: home ?? organizationId,
    canWrite: viewer.role !== 'ORG_READER',
  };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => sessionStorage.getItem(TOKEN_KEY) !== null);

  // A reload of the tab signs in again with the stored token.
  useEffect(() => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return;
    let current = true;
    open(token, sessionStorage.getItem(ORGANIZATION_KEY))
      .then((opened) => current && setSession(opened), () => sessionStorage.removeItem(TOKEN_KEY))
      .finally(() => current && setRestoring(false));
    return () => {
      current = false;
    };
  }, []);

  const signIn = useCallback(async (token: string) => {
    const opened = await open(token.trim(), null);
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    setSession(opened);
  }, []);

  const signOut = useCallback(() => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ORGANIZATION_KEY);
    setSession((current) => {
      void current?.client.dispose();
      return null;
    });
  }, []);

  const chooseOrganization = useCallback((id: string) => {
    sessionStorage.setItem(ORGANIZATION_KEY, id);
    setSession((current) => (current && current.homeOrganizationId === null ? { ...current, organizationId: id } : current));
  }, []);

  const value = useMemo(() => ({ session, signIn, signOut, chooseOrganization }), [session, signIn, signOut, chooseOrganization]);
  if (restoring) return <p className="restoring">Signing in…</p>;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionControls(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSessionControls outside SessionProvider');
  return value;
}

/** The signed-in session (only rendered once signed in). */
export function useSession(): Session {
  const { session } = useSessionControls();
  if (!session) throw new Error('useSession before sign-in');
  return session;
}

