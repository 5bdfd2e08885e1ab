/** Loads a GET route of the hub, optionally every `refreshMs`; keeps the last answer while reloading. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, api } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | undefined, options: { refreshMs?: number } = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(path !== undefined);
  const [tick, setTick] = useState(0);
  const shownPath = useRef(path);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `tick` (reload, refresh) loads again
  useEffect(() => {
    if (path === undefined) return;
    if (shownPath.current !== path) {
      shownPath.current = path;
      setData(undefined);
    }
    const controller = new AbortController();
    setLoading(true);
    api<T>(path, { signal: controller.signal })
      .then((answer) => {
        setData(answer);
        setError(undefined);
      })
      .catch((reason: unknown) => {
        if (controller.signal.aborted) return;
        setError(reason instanceof Error ? reason : new Error(String(reason)));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [path, tick]);

  useEffect(() => {
    if (path === undefined || !options.refreshMs) return;
    const timer = window.setInterval(() => setTick((t) => t + 1), options.refreshMs);
    return () => window.clearInterval(timer);
  }, [path, options.refreshMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
