import { useEffect, useEffectEvent, useState } from "react";
import { toApiError, type ApiError } from "../api/api-error";

interface Loaded<T> {
  key: string;
  version: number;
  value?: T;
  error?: ApiError;
}

export interface Load<T> {
  value: T | undefined;
  error: ApiError | undefined;
  /** Nothing loaded for this key yet. */
  loading: boolean;
  /** Load again (the old value stays shown meanwhile). */
  reload: () => void;
}

/**
 * Loads data for `key` (null: nothing to load) and again after `reload()`. A result that
 * arrives after the key changed is dropped. `load` may change on every render.
 */
export function useLoad<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Load<T> {
  const [loaded, setLoaded] = useState<Loaded<T> | null>(null);
  const [version, setVersion] = useState(0);
  const run = useEffectEvent((signal: AbortSignal) => load(signal));

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    run(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) setLoaded({ key, version, value });
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setLoaded((old) => ({ key, version, error: toApiError(err), ...(old?.key === key ? { value: old.value } : {}) }));
      },
    );
    return () => controller.abort();
  }, [key, version]);

  const current = key !== null && loaded?.key === key ? loaded : null;
  return {
    value: current?.value,
    error: current?.error,
    loading: key !== null && current === null,
    reload: () => setVersion((v) => v + 1),
  };
}
