import { useEffect } from "react";
import { useI18n } from "../i18n/i18n";

/** Sets the document title: "<page> · WebSocket Spaces". */
export function useTitle(page: string | undefined): void {
  const { t } = useI18n();
  const app = t("app.name");
  useEffect(() => {
    document.title = page ? `${page} · ${app}` : app;
  }, [page, app]);
}
