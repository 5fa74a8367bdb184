import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { FerryError } from '../../../client/runtime';
import { useSession } from './session';

export interface QueryState<T> {
  data: T | null;
  error: FerryError | null;
  loading: boolean;
  reload(): void;
}

/** Runs a typed query when its variables change (null variables: not yet). */
export function useQuery<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables | null): QueryState<TResult> {
  const { client } = useSession();
  const key = variables === null ? null : JSON.stringify(variables);
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ data: TResult | null; error: FerryError | null; loading: boolean }>({ data: null, error: null, loading: true });
  useEffect(() => {
    if (key === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    client.request(document, JSON.parse(key) as TVariables).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: unknown) => current && setState({ data: null, error: asFerryError(error), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [client, document, key, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** A mutation with its running state and last error. */
export function useMutation<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>) {
  const { client } = useSession();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<FerryError | null>(null);
  const run = useCallback(
    async (variables: TVariables): Promise<TResult | null> => {
      setRunning(true);
      setError(null);
      try {
        return await client.request(document, variables);
      } catch (caught) {
        setError(asFerryError(caught));
        return null;
      } finally {
        setRunning(false);
      }
    },
    [client, document],
  );
  return { run, running, error };
}

/** A subscription held while the component is mounted (and restarted when its variables change). */
export function useSubscription<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables | null,
  onData: (data: TResult) => void,
): FerryError | null {
  const { client } = useSession();
  const key = variables === null ? null : JSON.stringify(variables);
  const handler = useRef(onData);
  handler.current = onData;
  const [error, setError] = useState<FerryError | null>(null);
  useEffect(() => {
    if (key === null) return;
    setError(null);
    return client.subscribe(document, JSON.parse(key) as TVariables, {
      next: (data) => handler.current(data),
      error: (failure) => setError(failure),
    });
  }, [client, document, key]);
  return error;
}

export function asFerryError(error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  return new FerryError([{ message: error instanceof Error ? `Ferry could not be reached: ${error.message}` : String(error), extensions: { code: 'NETWORK_ERROR' } }], 0);
}
