import { useId, useState } from "react";
import { api } from "../api/endpoints";
import { toApiError, type ApiError } from "../api/api-error";
import { useI18n } from "../i18n/i18n";
import { curlSnippet, pythonSnippet, typescriptSnippet } from "../util/snippets";
import { CodeBlock } from "./copy-button";
import { ErrorMessage } from "./error-message";

type Lang = "curl" | "python" | "typescript";
const LANGS: Lang[] = ["curl", "python", "typescript"];

/**
 * Ready-to-copy code that calls this space. The key is one the user pastes or creates here
 * (shown once, kept only in this page's memory); stored keys are never shown.
 */
export function ApiPanel({ spaceId, spaceName, prompt }: { spaceId: string; spaceName: string; prompt: string }) {
  const { t } = useI18n();
  const id = useId();
  const [apiKey, setApiKey] = useState("");
  const [lang, setLang] = useState<Lang>("curl");
  const [created, setCreated] = useState(false);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const input = { origin: window.location.origin, spaceId, apiKey: apiKey.trim() || null, prompt: prompt.trim() || "Hello" };
  const code = lang === "curl" ? curlSnippet(input) : lang === "python" ? pythonSnippet(input) : typescriptSnippet(input);

  const create = () => {
    setCreating(true);
    setError(null);
    api.apiKeys.create(`${spaceName}`.slice(0, 90) + " (web)").then(
      (key) => {
        setApiKey(key.key);
        setCreated(true);
        setCreating(false);
      },
      (err: unknown) => {
        setError(toApiError(err));
        setCreating(false);
      },
    );
  };

  return (
    <details className="panel api-panel" data-testid="api-panel">
      <summary>
        <h2>{t("api.title")}</h2>
      </summary>
      <p className="muted">{t("api.intro")}</p>
      <div className="api-panel__key">
        <div className="field">
          <label htmlFor={`${id}-key`}>{t("api.key")}</label>
          <input
            id={`${id}-key`}
            value={apiKey}
            onChange={(e) => {
              setApiKey(e.target.value);
              setCreated(false);
            }}
            placeholder={t("api.keyPlaceholder")}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <button type="button" className="button" onClick={create} disabled={creating}>
          {t("api.create")}
        </button>
      </div>
      {created && (
        <p className="alert alert--success" role="status">
          {t("api.created")}
        </p>
      )}
      {error && <ErrorMessage error={error} />}
      <div className="tabs" role="tablist" aria-label={t("api.snippets")}>
        {LANGS.map((l) => (
          <button
            key={l}
            type="button"
            role="tab"
            id={`${id}-tab-${l}`}
            aria-selected={lang === l}
            aria-controls={`${id}-panel`}
            tabIndex={lang === l ? 0 : -1}
            className="tab"
            onClick={() => setLang(l)}
            onKeyDown={(e) => {
              if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
              const next = LANGS[(LANGS.indexOf(l) + (e.key === "ArrowRight" ? 1 : LANGS.length - 1)) % LANGS.length] ?? "curl";
              setLang(next);
              document.getElementById(`${id}-tab-${next}`)?.focus();
            }}
          >
            {t(`api.${l}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${lang}`}>
        <CodeBlock code={code} label={t(`api.${lang}`)} />
      </div>
    </details>
  );
}
