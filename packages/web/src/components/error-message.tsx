import type { ApiError } from "../api/api-error";
import { useI18n, type I18n } from "../i18n/i18n";

/** Codes whose server message says more than the code (which request, which rule). */
const SPECIFIC = new Set(["invalid_state", "bad_request", "payload_too_large", "unsupported_media_type", "validation_failed", "forbidden", "not_found"]);

/** An API error in the reader's language (the server's text when the code is unknown). */
export function errorText(error: ApiError, i18n: I18n): string {
  return i18n.maybe(`error.${error.code}`) ?? error.message;
}

/** An error shown in words, with the fields the server named and when to retry. */
export function ErrorMessage({ error, className }: { error: ApiError; className?: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <div className={`alert alert--error${className ? ` ${className}` : ""}`} role="alert">
      <p>{errorText(error, i18n)}</p>
      {SPECIFIC.has(error.code) && error.message !== errorText(error, i18n) && <p className="small">{error.message}</p>}
      {error.details.length > 0 && (
        <ul className="alert__details">
          {error.details.map((d) => (
            <li key={`${d.field}:${d.message}`}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
      {error.retryAfter !== null && <p>{t("error.retryAfter", { n: error.retryAfter })}</p>}
      {error.correlationId !== null && <p className="muted small">{t("error.reference", { id: error.correlationId })}</p>}
    </div>
  );
}
