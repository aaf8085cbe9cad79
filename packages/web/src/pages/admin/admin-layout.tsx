import { NavLink, Outlet } from "react-router";
import { useI18n } from "../../i18n/i18n";

const TABS = ["overview", "spaces", "workers", "requests", "users"] as const;

/** `/admin/*`: the admin's tabs above the chosen page. */
export function AdminLayout() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t("admin.title")}</h1>
      <nav className="subnav" aria-label={t("admin.title")}>
        {TABS.map((tab) => (
          <NavLink key={tab} to={`/admin/${tab}`}>
            {t(`admin.tab.${tab}`)}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}
