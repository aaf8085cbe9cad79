import { useState, type FormEvent } from "react";
import { toApiError, type ApiError } from "../api/api-error";

/** What an issued secret (API key, worker token) has in common: an id, shown once at creation. */
interface Issued {
  id: string;
}

/**
 * The state of a "create a secret, show it once, revoke" panel: the name being typed, the
 * secret just created (until it is revoked or another is made), and the last error.
 */
export function useIssuedSecrets<T extends Issued>(actions: { create: (name: string | undefined) => Promise<T>; revoke: (id: string) => Promise<unknown>; reload: () => void }) {
  const [name, setName] = useState("");
  const [created, setCreated] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const create = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    actions.create(name.trim() || undefined).then(
      (secret) => {
        setCreated(secret);
        setName("");
        setBusy(false);
        actions.reload();
      },
      (err: unknown) => {
        setError(toApiError(err));
        setBusy(false);
      },
    );
  };

  const revoke = (id: string) => {
    setError(null);
    actions.revoke(id).then(
      () => {
        if (created?.id === id) setCreated(null);
        actions.reload();
      },
      (err: unknown) => setError(toApiError(err)),
    );
  };

  return { name, setName, created, busy, error, create, revoke };
}
