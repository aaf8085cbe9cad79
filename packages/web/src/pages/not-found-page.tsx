import { Link } from "react-router";
import { useI18n } from "../i18n/i18n";
import { useTitle } from "../util/use-title";

export function NotFoundPage() {
  const { t } = useI18n();
  useTitle(t("notFound.title"));
  return (
    <div className="page page--narrow">
      <h1>{t("notFound.title")}</h1>
      <p>{t("notFound.body")}</p>
      <p>
        <Link to="/">{t("notFound.home")}</Link>
      </p>
    </div>
  );
}
