import { useState } from "react";
import { Link, NavLink, Outlet, useNavigate } from "react-router";
import { useSession } from "../auth/session";
import { LANGUAGES, useI18n, type Lang } from "../i18n/i18n";
import { useLiveConnected } from "../live/use-space-status";
import { toApiError, type ApiError } from "../api/api-error";
import { ErrorMessage } from "./error-message";

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang">
      <span className="visually-hidden">{t("nav.language")}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t("nav.language")} data-testid="language-select">
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.locale}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function UserMenu() {
  const { t } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<ApiError | null>(null);
  if (session.loading) return null;
  if (!session.me) {
    return (
      <div className="user-menu">
        <NavLink to="/signin">{t("nav.signIn")}</NavLink>
        <NavLink to="/register">{t("nav.register")}</NavLink>
      </div>
    );
  }
  return (
    <div className="user-menu">
      <span className="user-menu__name" title={t("nav.signedInAs", { name: session.me.username })}>
        {session.me.username}
      </span>
      <button
        type="button"
        className="button button--small button--ghost"
        onClick={() => {
          setError(null);
          session.signOut().then(
            () => void navigate("/"),
            (err: unknown) => setError(toApiError(err)),
          );
        }}
      >
        {t("nav.signOut")}
      </button>
      {error && <ErrorMessage error={error} className="user-menu__error" />}
    </div>
  );
}

/** Header (brand, navigation, language, user), the page, and a quiet note while live updates reconnect. */
export function Layout() {
  const { t } = useI18n();
  const { me } = useSession();
  const liveConnected = useLiveConnected();
  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <Link to="/" className="brand">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span>{t("app.name")}</span>
          </Link>
          <nav aria-label={t("nav.main")} className="main-nav">
            <NavLink to="/" end>
              {t("nav.spaces")}
            </NavLink>
            {me && <NavLink to="/account">{t("nav.account")}</NavLink>}
            {me?.role === "admin" && <NavLink to="/admin">{t("nav.admin")}</NavLink>}
          </nav>
          <div className="site-header__tools">
            <LanguageSwitch />
            <UserMenu />
          </div>
        </div>
      </header>
      <LiveNote connected={liveConnected} />
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>
          {t("app.name")} · {t("app.tagline")} · <a href="/api/v1/spaces">API</a>
        </p>
      </footer>
    </>
  );
}

/** Shown only after the live connection has been up once and dropped. */
function LiveNote({ connected }: { connected: boolean }) {
  const { t } = useI18n();
  const [wasConnected, setWasConnected] = useState(false);
  if (connected && !wasConnected) setWasConnected(true);
  if (connected || !wasConnected) return null;
  return (
    <p className="live-note" role="status">
      {t("live.reconnecting")}
    </p>
  );
}
