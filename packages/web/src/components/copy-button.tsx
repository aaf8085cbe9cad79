import { useEffect, useState } from "react";
import { useI18n } from "../i18n/i18n";

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-http sites have no clipboard API: fall back to a selected textarea.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  // Deprecated, but the only way without the clipboard API.
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy failed");
}

/** Copies `text` and says so for a moment (to screen readers too). */
export function CopyButton({ text, label }: { text: string; label?: string }) {
  const { t } = useI18n();
  const [status, setStatus] = useState<"idle" | "copied" | "failed">("idle");

  useEffect(() => {
    if (status === "idle") return;
    const timer = setTimeout(() => setStatus("idle"), 2500);
    return () => clearTimeout(timer);
  }, [status]);

  return (
    <span className="copy">
      <button
        type="button"
        className="button button--small"
        onClick={() => {
          copyText(text).then(
            () => setStatus("copied"),
            () => setStatus("failed"),
          );
        }}
      >
        {status === "copied" ? t("common.copied") : (label ?? t("common.copy"))}
      </button>
      <span className="copy__status" role="status">
        {status === "failed" ? t("common.copyFailed") : ""}
      </span>
    </span>
  );
}

/** Preformatted text (a command, a snippet, a secret) with a copy button. */
export function CodeBlock({ code, label, className }: { code: string; label?: string; className?: string }) {
  return (
    <div className={`code${className ? ` ${className}` : ""}`}>
      <pre tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} />
    </div>
  );
}
