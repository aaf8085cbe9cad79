import { useId, useState, type FormEvent } from "react";
import type { InputKind, MAX_PROMPT_LENGTH } from "@wsspaces/protocol";
import type { ApiError } from "../api/api-error";
import { useI18n } from "../i18n/i18n";
import { ErrorMessage } from "./error-message";

const MAX_PROMPT: typeof MAX_PROMPT_LENGTH = 20_000;
const FILE_INPUTS = ["audio", "video", "file"] as const satisfies readonly InputKind[];
const ACCEPT: Record<(typeof FILE_INPUTS)[number], string> = { audio: "audio/*", video: "video/*", file: "" };

export interface SubmitFormProps {
  inputs: readonly InputKind[];
  prompt: string;
  onPromptChange: (prompt: string) => void;
  onSubmit: (prompt: string) => void;
  submitting: boolean;
  error: ApiError | null;
  /** The space is offline but keeps requests: say they will wait. */
  queuesWhileOffline: boolean;
}

/** The form built from the space's enabled inputs. File pickers are shown, disabled, until uploads exist. */
export function SubmitForm({ inputs, prompt, onPromptChange, onSubmit, submitting, error, queuesWhileOffline }: SubmitFormProps) {
  const { t } = useI18n();
  const id = useId();
  const [problem, setProblem] = useState<string | null>(null);
  const hasPrompt = inputs.includes("prompt");
  const fileInputs = FILE_INPUTS.filter((kind) => inputs.includes(kind));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!hasPrompt) return;
    if (prompt.trim() === "") return setProblem(t("space.promptRequired"));
    if (prompt.length > MAX_PROMPT) return setProblem(t("space.promptTooLong", { n: prompt.length, max: MAX_PROMPT }));
    setProblem(null);
    onSubmit(prompt);
  };

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid="submit-form">
      <h2 id={`${id}-title`}>{t("space.formTitle")}</h2>
      {hasPrompt && (
        <div className={`field${problem ? " field--invalid" : ""}`}>
          <label htmlFor={`${id}-prompt`}>{t("space.prompt")}</label>
          <textarea
            id={`${id}-prompt`}
            name="prompt"
            rows={4}
            value={prompt}
            placeholder={t("space.promptPlaceholder")}
            onChange={(e) => onPromptChange(e.target.value)}
            onKeyDown={(e) => {
              // Ctrl/Cmd+Enter sends, as in most chat boxes.
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
            }}
            aria-invalid={problem ? true : undefined}
            aria-describedby={`${id}-count${problem ? ` ${id}-problem` : ""}`}
          />
          <p id={`${id}-count`} className={`field__hint${prompt.length > MAX_PROMPT ? " field__error" : ""}`}>
            {prompt.length} / {MAX_PROMPT}
          </p>
          {problem && (
            <p id={`${id}-problem`} className="field__error" role="alert">
              {problem}
            </p>
          )}
        </div>
      )}
      {fileInputs.map((kind) => (
        <div className="field field--disabled" key={kind}>
          <label htmlFor={`${id}-${kind}`}>{t(`space.input.${kind}`)}</label>
          <input id={`${id}-${kind}`} type="file" accept={ACCEPT[kind] || undefined} disabled aria-describedby={`${id}-soon`} />
        </div>
      ))}
      {fileInputs.length > 0 && (
        <p id={`${id}-soon`} className="field__hint">
          {t("space.comingSoon")}
        </p>
      )}
      {!hasPrompt && <p className="muted">{t("space.noUsableInputs")}</p>}
      {queuesWhileOffline && <p className="muted small">{t("space.queuesOffline")}</p>}
      {error && <ErrorMessage error={error} />}
      {hasPrompt && (
        <div className="actions">
          <button type="submit" className="button button--primary" disabled={submitting}>
            {submitting ? t("space.submitting") : t("space.submit")}
          </button>
        </div>
      )}
    </form>
  );
}
