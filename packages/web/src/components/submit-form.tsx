import { useId, useRef, useState, type FormEvent } from "react";
import type { InputKind, MAX_PROMPT_LENGTH } from "@wsspaces/protocol";
import type { ApiError } from "../api/api-error";
import { useI18n } from "../i18n/i18n";
import { ErrorMessage } from "./error-message";

const MAX_PROMPT: typeof MAX_PROMPT_LENGTH = 20_000;
const FILE_INPUTS = ["audio", "video", "file"] as const satisfies readonly InputKind[];
const ACCEPT: Record<(typeof FILE_INPUTS)[number], string> = { audio: "audio/*", video: "video/*", file: "" };

/** A file the user picked, with the input it goes to. */
export interface PickedFile {
  field: FileInput;
  file: File;
}

type FileInput = (typeof FILE_INPUTS)[number];

export interface SubmitFormProps {
  inputs: readonly InputKind[];
  /** The space's limits, checked here first so a too-large file is not sent for nothing. */
  maxFileMb: number;
  maxUploadMb: number;
  prompt: string;
  onPromptChange: (prompt: string) => void;
  onSubmit: (prompt: string, files: PickedFile[]) => void;
  submitting: boolean;
  error: ApiError | null;
  /** The space is offline but keeps requests: say they will wait. */
  queuesWhileOffline: boolean;
}

const MIB = 1024 * 1024;

/** The form built from the space's enabled inputs: a prompt, and file pickers where enabled. */
export function SubmitForm({ inputs, maxFileMb, maxUploadMb, prompt, onPromptChange, onSubmit, submitting, error, queuesWhileOffline }: SubmitFormProps) {
  const { t } = useI18n();
  const id = useId();
  const [problem, setProblem] = useState<string | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const pickers = useRef<Partial<Record<FileInput, HTMLInputElement | null>>>({});
  const hasPrompt = inputs.includes("prompt");
  const fileInputs = FILE_INPUTS.filter((kind) => inputs.includes(kind));

  const picked = (): PickedFile[] => fileInputs.flatMap((field) => [...(pickers.current[field]?.files ?? [])].map((file) => ({ field, file })));

  const checkFiles = (files: PickedFile[]): string | null => {
    const big = files.find((f) => f.file.size > maxFileMb * MIB);
    if (big) return t("space.fileTooLarge", { name: big.file.name, max: maxFileMb });
    if (files.reduce((sum, f) => sum + f.file.size, 0) > maxUploadMb * MIB) return t("space.filesTooLarge", { max: maxUploadMb });
    return null;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const files = picked();
    if (!hasPrompt && files.length === 0) return setFileProblem(t("space.fileRequired"));
    if (hasPrompt && files.length === 0 && prompt.trim() === "") return setProblem(t(fileInputs.length > 0 ? "space.promptOrFileRequired" : "space.promptRequired"));
    if (prompt.length > MAX_PROMPT) return setProblem(t("space.promptTooLong", { n: prompt.length, max: MAX_PROMPT }));
    const tooLarge = checkFiles(files);
    setProblem(null);
    setFileProblem(tooLarge);
    if (tooLarge) return;
    onSubmit(prompt, files);
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
        <div className="field" key={kind}>
          <label htmlFor={`${id}-${kind}`}>{t(`space.input.${kind}`)}</label>
          <input
            id={`${id}-${kind}`}
            name={kind}
            type="file"
            multiple
            accept={ACCEPT[kind] || undefined}
            ref={(el) => {
              pickers.current[kind] = el;
            }}
            onChange={() => setFileProblem(checkFiles(picked()))}
            aria-describedby={`${id}-limits${fileProblem ? ` ${id}-file-problem` : ""}`}
            aria-invalid={fileProblem ? true : undefined}
          />
        </div>
      ))}
      {fileInputs.length > 0 && (
        <p id={`${id}-limits`} className="field__hint">
          {t("space.fileLimits", { file: maxFileMb, total: maxUploadMb })}
        </p>
      )}
      {fileProblem && (
        <p id={`${id}-file-problem`} className="field__error" role="alert">
          {fileProblem}
        </p>
      )}
      {!hasPrompt && fileInputs.length === 0 && <p className="muted">{t("space.noUsableInputs")}</p>}
      {queuesWhileOffline && <p className="muted small">{t("space.queuesOffline")}</p>}
      {error && <ErrorMessage error={error} />}
      {(hasPrompt || fileInputs.length > 0) && (
        <div className="actions">
          <button type="submit" className="button button--primary" disabled={submitting}>
            {submitting ? t("space.submitting") : t("space.submit")}
          </button>
        </div>
      )}
    </form>
  );
}
