import type { RequestState } from "@wsspaces/protocol";
import { useI18n } from "../i18n/i18n";

/** "✓ Connected (N workers)" / "✗ Not connected": text and colour, never colour alone. */
export function ConnectionStatus({ connected, workers }: { connected: boolean; workers: number }) {
  const { t, tn } = useI18n();
  return (
    <span className={`status ${connected ? "status--on" : "status--off"}`} data-testid="connection-status">
      {connected ? tn("status.connected", workers) : t("status.offline")}
    </span>
  );
}

/** A small dot for lists; the text is kept for screen readers. */
export function ConnectionDot({ connected }: { connected: boolean }) {
  const { t } = useI18n();
  return (
    <span className={`dot ${connected ? "dot--on" : "dot--off"}`}>
      <span className="dot__label">{connected ? t("status.online") : t("status.offlineShort")}</span>
    </span>
  );
}

export function StateBadge({ state }: { state: RequestState }) {
  const { t } = useI18n();
  return (
    <span className={`badge badge--${state}`} data-state={state}>
      {t(`state.${state}`)}
    </span>
  );
}
