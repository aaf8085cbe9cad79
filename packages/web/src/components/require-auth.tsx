import type { ReactNode } from "react";
import { Link, useLocation } from "react-router";
import { useSession } from "../auth/session";
import { useI18n } from "../i18n/i18n";

/** Shows its children to signed-in users (admins only with `admin`), else says why not. */
export function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { t } = useI18n();
  const { me, loading } = useSession();
  const location = useLocation();
  if (loading) return <p className="page muted">{t("common.loading")}</p>;
  if (!me) {
    return (
      <div className="page page--narrow">
        <p className="alert">
          <Link to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`}>{t("auth.signInRequired")}</Link>
        </p>
      </div>
    );
  }
  if (admin && me.role !== "admin") {
    return (
      <div className="page page--narrow">
        <p className="alert alert--error" role="alert">
          {t("admin.forbidden")}
        </p>
      </div>
    );
  }
  return children;
}
