import { useState, type ReactNode } from "react";
import { useI18n } from "../i18n/i18n";

/** A destructive action that asks first, inline (no browser dialog): label → question + confirm / keep. */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  busy = false,
  small = true,
}: {
  label: string;
  question: ReactNode;
  onConfirm: () => void;
  busy?: boolean;
  small?: boolean;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const size = small ? " button--small" : "";
  if (!asking) {
    return (
      <button type="button" className={`button button--danger${size}`} onClick={() => setAsking(true)} disabled={busy}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group">
      <span className="confirm__question">{question}</span>
      <button
        type="button"
        className={`button button--danger${size}`}
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {label}
      </button>
      <button type="button" className={`button button--ghost${size}`} onClick={() => setAsking(false)}>
        {t("common.keep")}
      </button>
    </span>
  );
}
