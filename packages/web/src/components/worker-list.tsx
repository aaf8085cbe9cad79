import type { WorkerPresenceView } from "@wsspaces/protocol";
import { useI18n } from "../i18n/i18n";
import { useNow } from "../util/use-now";

/** Who serves this space: each worker's name, version, load and last sign of life. */
export function WorkerList({ workers }: { workers: readonly WorkerPresenceView[] }) {
  const { t, formatRelative } = useI18n();
  const now = useNow(5000, workers.length > 0);
  return (
    <section className="panel" aria-labelledby="workers-title" data-testid="workers">
      <h2 id="workers-title">{t("space.workersTitle")}</h2>
      {workers.length === 0 ? (
        <p className="muted">{t("space.workersEmpty")}</p>
      ) : (
        <ul className="worker-list">
          {workers.map((w, i) => {
            // Idle: nothing in flight; busy: every slot taken; working: some slots free.
            const load = w.in_flight === 0 ? "idle" : w.in_flight >= w.capacity ? "busy" : "working";
            // Optional until every server sends it.
            const lastSeen = w.last_seen_at ?? null;
            return (
              <li key={w.connection_id ?? `${w.name ?? ""}:${w.connected_at}:${i}`} className="worker" data-testid="worker">
                <div className="worker__head">
                  <span className={`dot ${load === "idle" ? "dot--on" : "dot--busy"}`} aria-hidden="true" />
                  <strong>{w.name ?? t("space.workerUnnamed")}</strong>
                  {w.version && <span className="muted small">{t("space.workerVersion", { v: w.version })}</span>}
                  <span className={`badge badge--load-${load}`} data-testid="worker-load">
                    {load === "idle" ? t("space.workerIdle") : load === "busy" ? t("space.workerBusy") : t("space.workerWorking")}
                  </span>
                </div>
                <p className="muted small">
                  {t("space.workerLoad", { n: w.in_flight, c: w.capacity })}
                  {" · "}
                  {t("space.workerSince", { time: formatRelative(w.connected_at, now) })}
                  {lastSeen && (
                    <>
                      {" · "}
                      {t("space.workerLastSeen", { time: formatRelative(lastSeen, now) })}
                    </>
                  )}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
