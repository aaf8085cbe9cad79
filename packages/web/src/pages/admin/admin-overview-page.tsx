import { useEffect, useState } from "react";
import type { AdminOverview } from "@wsspaces/protocol";
import { api } from "../../api/endpoints";
import { ErrorMessage } from "../../components/error-message";
import { StackedBars, type BarSeries } from "../../components/stacked-bars";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../util/use-load";
import { useTitle } from "../../util/use-title";
import { DataTable } from "../../components/data-table";

const WINDOWS = [15, 60, 360, 1440] as const;
const REFRESH_MS = 10_000;
type Outcome = "completed" | "failed" | "timed_out" | "cancelled";

/** `/admin/overview`: the site's traffic, outcomes and timings as charts and tables. */
export function AdminOverviewPage() {
  const { t, locale } = useI18n();
  const formatNumber = (n: number) => n.toLocaleString(locale);
  useTitle(`${t("admin.title")} · ${t("admin.tab.overview")}`);
  const [minutes, setMinutes] = useState<(typeof WINDOWS)[number]>(60);
  const overview = useLoad(`overview:${minutes}`, (signal) => api.admin.overview(minutes, signal));
  const reload = overview.reload;

  // Fresh figures every few seconds, and at once when the admin comes back to the tab.
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    window.addEventListener("focus", reload);
    return () => {
      clearInterval(timer);
      window.removeEventListener("focus", reload);
    };
  }, [reload]);

  const data = overview.value;
  const series: BarSeries<Outcome>[] = [
    { key: "completed", label: t("state.completed"), className: "chart-ok" },
    { key: "failed", label: t("state.failed"), className: "chart-bad" },
    { key: "timed_out", label: t("state.timed_out"), className: "chart-warn" },
    { key: "cancelled", label: t("state.cancelled"), className: "chart-muted" },
  ];

  return (
    <section aria-labelledby="admin-overview-title" data-testid="admin-overview">
      <div className="section-head">
        <h2 id="admin-overview-title">{t("admin.overview.title")}</h2>
        <label className="inline-field">
          {t("admin.overview.window")}{" "}
          <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value) as (typeof WINDOWS)[number])}>
            {WINDOWS.map((m) => (
              <option key={m} value={m}>
                {t(`admin.overview.window.${m}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {overview.error && <ErrorMessage error={overview.error} />}
      {data && (
        <>
          <Totals data={data} />
          <h3>{t("admin.overview.perMinute")}</h3>
          <StackedBars
            series={series}
            points={bucketed(data, minutes).map((m) => ({ ...m, label: new Date(m.minute).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" }) }))}
            labelEvery={Math.max(1, Math.round(bucketed(data, minutes).length / 6))}
            summary={t("admin.overview.chartSummary", {
              minutes: String(minutes),
              submitted: formatNumber(data.totals.submitted),
              completed: formatNumber(data.totals.completed),
              failed: formatNumber(data.totals.failed),
              timed_out: formatNumber(data.totals.timed_out),
              cancelled: formatNumber(data.totals.cancelled),
            })}
          />
          <h3>{t("admin.overview.perSpace")}</h3>
          <SpaceTable data={data} />
        </>
      )}
    </section>
  );
}

/** Long windows are summed into 10- or 60-minute bars so that the chart stays readable. */
function bucketed(data: AdminOverview, minutes: number): (AdminOverview["per_minute"][number])[] {
  const size = minutes > 360 ? 60 : minutes > 60 ? 10 : 1;
  if (size === 1) return data.per_minute;
  const out: AdminOverview["per_minute"] = [];
  for (let i = 0; i < data.per_minute.length; i += size) {
    const chunk = data.per_minute.slice(i, i + size);
    const first = chunk[0];
    if (!first) continue;
    out.push({
      minute: first.minute,
      submitted: chunk.reduce((n, m) => n + m.submitted, 0),
      completed: chunk.reduce((n, m) => n + m.completed, 0),
      failed: chunk.reduce((n, m) => n + m.failed, 0),
      timed_out: chunk.reduce((n, m) => n + m.timed_out, 0),
      cancelled: chunk.reduce((n, m) => n + m.cancelled, 0),
    });
  }
  return out;
}

function Totals({ data }: { data: AdminOverview }) {
  const { t, locale } = useI18n();
  const formatNumber = (n: number) => n.toLocaleString(locale);
  const { totals } = data;
  const finished = totals.completed + totals.failed + totals.timed_out + totals.cancelled;
  const rate = (n: number) => (finished === 0 ? "—" : `${Math.round((100 * n) / finished)} %`);
  const tiles: [string, string, string][] = [
    ["submitted", t("admin.overview.submitted"), formatNumber(totals.submitted)],
    ["success", t("admin.overview.successRate"), rate(totals.completed)],
    ["failure", t("admin.overview.failureRate"), rate(totals.failed)],
    ["timeout", t("admin.overview.timeoutRate"), rate(totals.timed_out)],
    ["workers", t("admin.overview.workersOnline"), formatNumber(data.workers_online)],
  ];
  return (
    <dl className="tiles" data-testid="overview-totals">
      {tiles.map(([key, label, value]) => (
        <div key={key} className="tile" data-testid={`overview-${key}`}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function SpaceTable({ data }: { data: AdminOverview }) {
  const { t, locale, formatDuration } = useI18n();
  const formatNumber = (n: number) => n.toLocaleString(locale);
  const seconds = (v: number | null) => (v === null ? "—" : formatDuration(v * 1000));
  if (data.spaces.length === 0) return <p className="muted">{t("admin.spacesEmpty")}</p>;
  return (
    <DataTable headings={[t("common.name"), t("admin.overview.submitted"), t("state.completed"), t("state.failed"), t("state.timed_out"), t("admin.overview.waitP50"), t("admin.overview.waitP95"), t("admin.overview.runP50"), t("admin.overview.runP95"), t("admin.overview.queue"), t("admin.tab.workers")]} testId="overview-spaces">
      {data.spaces.map((s) => (
        <tr key={s.space_id}>
          <th scope="row">{s.name}</th>
          <td>{formatNumber(s.submitted)}</td>
          <td>{formatNumber(s.completed)}</td>
          <td>{formatNumber(s.failed)}</td>
          <td>{formatNumber(s.timed_out)}</td>
          <td>{seconds(s.queue_wait_p50)}</td>
          <td>{seconds(s.queue_wait_p95)}</td>
          <td>{seconds(s.run_p50)}</td>
          <td>{seconds(s.run_p95)}</td>
          <td>{formatNumber(s.queue_length)}</td>
          <td>{formatNumber(s.workers)}</td>
        </tr>
      ))}
    </DataTable>
  );
}
