import { createContext, use, useEffect, useMemo, useState, type ReactNode } from "react";
import type { LoginBody, MeView, RegisterBody } from "@wsspaces/protocol";
import { api } from "../api/endpoints";
import { setCsrfToken } from "../api/http";
import { toApiError, type ApiError } from "../api/api-error";
import { live } from "../live/live-client";
import { forgetPrompts } from "../util/prompt-memory";

export interface Session {
  /** The signed-in user, or null (anonymous). */
  me: MeView | null;
  /** The first `GET /me` has not answered yet. */
  loading: boolean;
  /** The first `GET /me` failed for another reason than "not signed in". */
  error: ApiError | null;
  signIn: (body: LoginBody) => Promise<MeView>;
  register: (body: RegisterBody) => Promise<MeView>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<MeView | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api.auth.me(controller.signal).then(
      (profile) => {
        setCsrfToken(profile.csrf_token);
        setMe(profile);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const apiError = toApiError(err);
        if (apiError.code !== "unauthenticated") setError(apiError);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, []);

  const session = useMemo<Session>(() => {
    const started = (profile: MeView) => {
      setCsrfToken(profile.csrf_token);
      setMe(profile);
      setError(null);
      // The live socket is authenticated when it connects: connect again as this user.
      live.reconnect();
      return profile;
    };
    return {
      me,
      loading,
      error,
      signIn: async (body) => started(await api.auth.login(body)),
      register: async (body) => started(await api.auth.register(body)),
      signOut: async () => {
        await api.auth.logout();
        setCsrfToken(null);
        setMe(null);
        forgetPrompts();
        live.reconnect();
      },
    };
  }, [me, loading, error]);

  return <SessionContext value={session}>{children}</SessionContext>;
}

export function useSession(): Session {
  const value = use(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
