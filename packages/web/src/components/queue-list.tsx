import type { QueueEntryView } from "@wsspaces/protocol";
import { useI18n } from "../i18n/i18n";
import { StateBadge } from "./badges";
import { DataTable } from "./data-table";

/** The space's queue: requests being worked on (position 0), then the waiting ones in order. */
export function QueueList({ queue, queueLength }: { queue: readonly QueueEntryView[]; queueLength: number }) {
  const { t, tn } = useI18n();
  const waitingShown = queue.filter((e) => e.state === "queued").length;
  return (
    <section className="panel" aria-labelledby="queue-title" data-testid="queue">
      <h2 id="queue-title">
        {t("space.queueTitle")} <span className="muted small" data-testid="queue-length">({tn("status.queue", queueLength)})</span>
      </h2>
      {queue.length === 0 ? (
        <p className="muted">{t("space.queueEmpty")}</p>
      ) : (
        <DataTable headings={[t("space.queuePosition"), t("common.user"), t("common.state")]}>
          {queue.map((entry, i) => (
            <tr key={entry.request_id ?? `${entry.state}:${entry.position}:${i}`} className={entry.request_id ? "row--mine" : undefined}>
              <td>{entry.position === 0 ? t("space.queueNow") : entry.position}</td>
              <td>
                {entry.user}
                {entry.request_id && <span className="muted small"> ({t("common.you")})</span>}
              </td>
              <td>
                <StateBadge state={entry.state} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {waitingShown < queueLength && <p className="muted small">{t("space.queueMore")}</p>}
    </section>
  );
}
