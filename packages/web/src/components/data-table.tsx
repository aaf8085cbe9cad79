import type { ReactNode } from "react";
import { useI18n } from "../i18n/i18n";

/**
 * The site's tables: scrollable on small screens, a header row of column names and, with
 * `actions`, a last column for buttons whose header only screen readers hear.
 */
export function DataTable({ headings, actions = false, testId, children }: { headings: ReactNode[]; actions?: boolean; testId?: string | undefined; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {headings.map((heading, i) => (
              <th scope="col" key={i}>
                {heading}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
