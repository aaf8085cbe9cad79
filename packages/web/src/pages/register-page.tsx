import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { toApiError, type ApiError } from "../api/api-error";
import { useSession } from "../auth/session";
import { ErrorMessage } from "../components/error-message";
import { Field } from "../components/field";
import { useI18n, type I18n } from "../i18n/i18n";
import { useTitle } from "../util/use-title";
import { safeNext } from "./sign-in-page";

interface Problems {
  username?: string;
  password?: string;
  confirm?: string;
}

/** The server's rules (protocol `RegisterBodySchema`), checked first so the messages are in the reader's language. */
function check(username: string, password: string, confirm: string, t: I18n["t"]): Problems {
  const problems: Problems = {};
  const name = username.trim();
  if (name === "") problems.username = t("auth.required");
  else if (name.length < 3 || name.length > 32) problems.username = t("auth.usernameLength");
  else if (!/^[A-Za-z0-9_.-]+$/.test(name)) problems.username = t("auth.usernameChars");
  if (password === "") problems.password = t("auth.required");
  else if (password.length < 8 || password.length > 200) problems.password = t("auth.passwordLength");
  if (confirm !== password) problems.confirm = t("auth.passwordMismatch");
  return problems;
}

/** `/register`. */
export function RegisterPage() {
  const { t } = useI18n();
  useTitle(t("auth.registerTitle"));
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (session.me && !busy) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = check(username, password, confirm, t);
    setProblems(found);
    setError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    session.register({ username: username.trim(), password }).then(
      () => void navigate(next, { replace: true }),
      (err: unknown) => {
        const apiError = toApiError(err);
        if (apiError.code === "conflict") setProblems({ username: t("auth.usernameTaken") });
        else if (apiError.code === "validation_failed") {
          setProblems({ username: apiError.detailFor("username"), password: apiError.detailFor("password") });
          setError(apiError);
        } else setError(apiError);
        setBusy(false);
      },
    );
  };

  const hasProblems = Object.values(problems).some(Boolean);
  return (
    <div className="page page--narrow">
      <h1>{t("auth.registerTitle")}</h1>
      <form className="form panel" onSubmit={submit} noValidate>
        {error && <ErrorMessage error={error} />}
        {hasProblems && !error && (
          <p className="alert alert--error" role="alert">
            {t("auth.fixFields")}
          </p>
        )}
        <Field
          label={t("auth.username")}
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          hint={t("auth.usernameHint")}
          error={problems.username}
          required
        />
        <Field
          label={t("auth.password")}
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={t("auth.passwordHint")}
          error={problems.password}
          required
        />
        <Field
          label={t("auth.confirmPassword")}
          name="confirm"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={problems.confirm}
          required
        />
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t("auth.working") : t("auth.submitRegister")}
        </button>
        <p className="muted">
          {t("auth.haveAccount")} <Link to={`/signin${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}>{t("nav.signIn")}</Link>
        </p>
      </form>
    </div>
  );
}
