import { useId, useState, type FormEvent } from "react";
import type { CreateSpaceInput, InputKind, SpaceSummary } from "@wsspaces/protocol";
import type { ApiError } from "../../api/api-error";
import { ErrorMessage } from "../../components/error-message";
import { Field } from "../../components/field";
import { useI18n } from "../../i18n/i18n";

const KINDS = ["prompt", "audio", "video", "file"] as const satisfies readonly InputKind[];

export interface SpaceFormValues {
  name: string;
  description: string;
  inputs: InputKind[];
  timeout_seconds: number;
  max_queue: number;
  queue_offline: boolean;
  open_workers: boolean;
}

export const NEW_SPACE: SpaceFormValues = {
  name: "",
  description: "",
  inputs: ["prompt"],
  timeout_seconds: 120,
  max_queue: 100,
  queue_offline: false,
  open_workers: false,
};

export function valuesOf(space: SpaceSummary): SpaceFormValues {
  const { name, description, inputs, timeout_seconds, max_queue, queue_offline, open_workers } = space;
  return { name, description, inputs, timeout_seconds, max_queue, queue_offline, open_workers };
}

/** The fields that differ from `before` (for PATCH). */
export function changedFields(before: SpaceFormValues, after: SpaceFormValues): Partial<CreateSpaceInput> {
  const changed: Partial<CreateSpaceInput> = {};
  if (after.name !== before.name) changed.name = after.name;
  if (after.description !== before.description) changed.description = after.description;
  if ([...after.inputs].sort().join() !== [...before.inputs].sort().join()) changed.inputs = after.inputs;
  if (after.timeout_seconds !== before.timeout_seconds) changed.timeout_seconds = after.timeout_seconds;
  if (after.max_queue !== before.max_queue) changed.max_queue = after.max_queue;
  if (after.queue_offline !== before.queue_offline) changed.queue_offline = after.queue_offline;
  if (after.open_workers !== before.open_workers) changed.open_workers = after.open_workers;
  return changed;
}

function parseInteger(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= min && n <= max ? n : null;
}

/** Create or edit a space: name, description, input toggles, timeout, queue limit, offline queueing, open workers. */
export function SpaceForm({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
}: {
  initial: SpaceFormValues;
  submitLabel: string;
  busy: boolean;
  error: ApiError | null;
  onSubmit: (values: SpaceFormValues) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [name, setName] = useState(initial.name);
  const [description, setDescription] = useState(initial.description);
  const [inputs, setInputs] = useState<InputKind[]>(initial.inputs);
  const [timeout, setTimeoutText] = useState(String(initial.timeout_seconds));
  const [maxQueue, setMaxQueue] = useState(String(initial.max_queue));
  const [queueOffline, setQueueOffline] = useState(initial.queue_offline);
  const [openWorkers, setOpenWorkers] = useState(initial.open_workers);
  const [problems, setProblems] = useState<{ name?: string; timeout?: string; maxQueue?: string }>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const timeoutSeconds = parseInteger(timeout, 1, 86_400);
    const queueLimit = parseInteger(maxQueue, 1, 100_000);
    const found = {
      ...(name.trim() === "" ? { name: t("auth.required") } : {}),
      ...(timeoutSeconds === null ? { timeout: t("admin.field.integer", { min: 1, max: 86_400 }) } : {}),
      ...(queueLimit === null ? { maxQueue: t("admin.field.integer", { min: 1, max: 100_000 }) } : {}),
    };
    setProblems(found);
    if (timeoutSeconds === null || queueLimit === null || found.name) return;
    onSubmit({
      name: name.trim(),
      description,
      inputs: KINDS.filter((k) => inputs.includes(k)),
      timeout_seconds: timeoutSeconds,
      max_queue: queueLimit,
      queue_offline: queueOffline,
      open_workers: openWorkers,
    });
  };

  return (
    <form className="form panel" onSubmit={submit} noValidate data-testid="space-form">
      {error && <ErrorMessage error={error} />}
      <Field
        label={t("admin.field.name")}
        name="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        maxLength={64}
        required
        error={problems.name ?? (error?.code === "conflict" ? t("error.conflict") : error?.detailFor("name"))}
      />
      <div className="field">
        <label htmlFor={`${id}-description`}>{t("admin.field.description")}</label>
        <textarea id={`${id}-description`} name="description" rows={3} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <fieldset className="fieldset">
        <legend>{t("admin.field.inputs")}</legend>
        {KINDS.map((kind) => (
          <label key={kind} className="check">
            <input
              type="checkbox"
              name={`input-${kind}`}
              checked={inputs.includes(kind)}
              onChange={(e) => setInputs((list) => (e.target.checked ? [...list, kind] : list.filter((k) => k !== kind)))}
            />
            {t(`admin.field.input.${kind}`)}
          </label>
        ))}
      </fieldset>
      <div className="field-row">
        <Field
          label={t("admin.field.timeout")}
          name="timeout_seconds"
          inputMode="numeric"
          value={timeout}
          onChange={(e) => setTimeoutText(e.target.value)}
          hint={t("admin.field.timeoutHint")}
          error={problems.timeout}
        />
        <Field
          label={t("admin.field.maxQueue")}
          name="max_queue"
          inputMode="numeric"
          value={maxQueue}
          onChange={(e) => setMaxQueue(e.target.value)}
          hint={t("admin.field.maxQueueHint")}
          error={problems.maxQueue}
        />
      </div>
      <label className="check">
        <input type="checkbox" name="queue_offline" checked={queueOffline} onChange={(e) => setQueueOffline(e.target.checked)} />
        {t("admin.field.queueOffline")}
      </label>
      <label className="check">
        <input type="checkbox" name="open_workers" checked={openWorkers} onChange={(e) => setOpenWorkers(e.target.checked)} aria-describedby={openWorkers ? `${id}-open-warning` : undefined} />
        {t("admin.field.openWorkers")}
      </label>
      {openWorkers && (
        <p id={`${id}-open-warning`} className="alert alert--warning">
          {t("admin.openWorkersWarning")}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t("common.saving") : submitLabel}
        </button>
      </div>
    </form>
  );
}
