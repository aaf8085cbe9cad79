import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { toApiError, type ApiError } from "../api/api-error";
import { useSession } from "../auth/session";
import { ErrorMessage } from "../components/error-message";
import { Field } from "../components/field";
import { useI18n } from "../i18n/i18n";
import { useTitle } from "../util/use-title";

/** Where to go after signing in: a same-site path from `?next=`, else the gallery. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/** `/signin`. */
export function SignInPage() {
  const { t } = useI18n();
  useTitle(t("auth.signInTitle"));
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [missing, setMissing] = useState<{ username?: boolean; password?: boolean }>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (session.me && !busy) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const nowMissing = { username: username.trim() === "", password: password === "" };
    setMissing(nowMissing);
    setError(null);
    if (nowMissing.username || nowMissing.password) return;
    setBusy(true);
    session.signIn({ username: username.trim(), password }).then(
      () => void navigate(next, { replace: true }),
      (err: unknown) => {
        setError(toApiError(err));
        setBusy(false);
      },
    );
  };

  return (
    <div className="page page--narrow">
      <h1>{t("auth.signInTitle")}</h1>
      <form className="form panel" onSubmit={submit} noValidate>
        {error && <ErrorMessage error={error} />}
        <Field
          label={t("auth.username")}
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={missing.username ? t("auth.required") : undefined}
          maxLength={32}
          required
        />
        <Field
          label={t("auth.password")}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={missing.password ? t("auth.required") : undefined}
          maxLength={200}
          required
        />
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t("auth.working") : t("auth.submitSignIn")}
        </button>
        <p className="muted">
          {t("auth.noAccount")} <Link to={`/register${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}>{t("nav.register")}</Link>
        </p>
      </form>
    </div>
  );
}
