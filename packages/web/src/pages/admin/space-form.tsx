import { useId, useState, type FormEvent } from "react";
import type { CreateSpaceInput, InputKind, SpaceSummary } from "@wsspaces/protocol";
import type { ApiError } from "../../api/api-error";
import { ErrorMessage } from "../../components/error-message";
import { Field } from "../../components/field";
import { useI18n } from "../../i18n/i18n";

const KINDS = ["prompt", "audio", "video", "file"] as const satisfies readonly InputKind[];

/** The settings an admin edits: the space's own fields (its status and timestamps aside). */
export type SpaceFormValues = Pick<
  SpaceSummary,
  "name" | "description" | "inputs" | "timeout_seconds" | "max_queue" | "queue_offline" | "open_workers" | "pause" | "user_in_flight_limit" | "max_file_mb" | "max_upload_mb" | "file_types"
>;

export const NEW_SPACE: SpaceFormValues = {
  name: "",
  description: "",
  inputs: ["prompt"],
  timeout_seconds: 120,
  max_queue: 100,
  queue_offline: false,
  open_workers: false,
  pause: "off",
  user_in_flight_limit: 0,
  max_file_mb: 100,
  max_upload_mb: 200,
  file_types: [],
};

export function valuesOf(space: SpaceSummary): SpaceFormValues {
  const { name, description, inputs, timeout_seconds, max_queue, queue_offline, open_workers, pause, user_in_flight_limit, max_file_mb, max_upload_mb, file_types } = space;
  return { name, description, inputs, timeout_seconds, max_queue, queue_offline, open_workers, pause, user_in_flight_limit, max_file_mb, max_upload_mb, file_types };
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
  if (after.pause !== before.pause) changed.pause = after.pause;
  if (after.user_in_flight_limit !== before.user_in_flight_limit) changed.user_in_flight_limit = after.user_in_flight_limit;
  if (after.max_file_mb !== before.max_file_mb) changed.max_file_mb = after.max_file_mb;
  if (after.max_upload_mb !== before.max_upload_mb) changed.max_upload_mb = after.max_upload_mb;
  if (after.file_types.join() !== before.file_types.join()) changed.file_types = after.file_types;
  return changed;
}

const PROBLEM_OF_FIELD: Record<string, "name" | "timeout" | "maxQueue" | "inFlight" | "maxFile" | "maxUpload"> = {
  name: "name",
  timeout_seconds: "timeout",
  max_queue: "maxQueue",
  user_in_flight_limit: "inFlight",
  max_file_mb: "maxFile",
  max_upload_mb: "maxUpload",
};

function parseInteger(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= min && n <= max ? n : null;
}

/** Create or edit a space: name, description, inputs, file limits, timeout, queue limits, offline queueing, pause, open workers. */
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
  const [pause, setPause] = useState(initial.pause);
  const [inFlight, setInFlight] = useState(String(initial.user_in_flight_limit));
  const [maxFile, setMaxFile] = useState(String(initial.max_file_mb));
  const [maxUpload, setMaxUpload] = useState(String(initial.max_upload_mb));
  const [fileTypes, setFileTypes] = useState(initial.file_types.join(", "));
  const [problems, setProblems] = useState<Partial<Record<"name" | "timeout" | "maxQueue" | "inFlight" | "maxFile" | "maxUpload", string>>>({});
  const takesFiles = inputs.some((k) => k !== "prompt");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const timeoutSeconds = parseInteger(timeout, 1, 86_400);
    const queueLimit = parseInteger(maxQueue, 1, 100_000);
    const inFlightLimit = parseInteger(inFlight, 0, 10_000);
    const fileLimit = parseInteger(maxFile, 1, 16_384);
    const uploadLimit = parseInteger(maxUpload, 1, 16_384);
    const range = (min: number, max: number) => t("admin.field.integer", { min, max });
    const found = {
      ...(name.trim() === "" ? { name: t("auth.required") } : {}),
      ...(timeoutSeconds === null ? { timeout: range(1, 86_400) } : {}),
      ...(queueLimit === null ? { maxQueue: range(1, 100_000) } : {}),
      ...(inFlightLimit === null ? { inFlight: range(0, 10_000) } : {}),
      ...(fileLimit === null ? { maxFile: range(1, 16_384) } : {}),
      ...(uploadLimit === null ? { maxUpload: range(1, 16_384) } : {}),
    };
    setProblems(found);
    if (timeoutSeconds === null || queueLimit === null || inFlightLimit === null || fileLimit === null || uploadLimit === null || found.name) return;
    onSubmit({
      name: name.trim(),
      description,
      inputs: KINDS.filter((k) => inputs.includes(k)),
      timeout_seconds: timeoutSeconds,
      max_queue: queueLimit,
      queue_offline: queueOffline,
      open_workers: openWorkers,
      pause,
      user_in_flight_limit: inFlightLimit,
      max_file_mb: fileLimit,
      max_upload_mb: uploadLimit,
      file_types: fileTypes
        .split(/[\s,]+/)
        .map((rule) => rule.trim().toLowerCase())
        .filter(Boolean),
    });
  };

  return (
    <form
      className="form panel"
      onSubmit={submit}
      // A field's complaint goes as soon as it is edited; the next submit checks again.
      onChangeCapture={(e) => {
        const target = e.target as EventTarget;
        const key = target instanceof HTMLInputElement ? PROBLEM_OF_FIELD[target.name] : undefined;
        if (key && problems[key]) setProblems((p) => ({ ...p, [key]: undefined }));
      }}
      noValidate
      data-testid="space-form"
    >
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
      {takesFiles && (
        <div className="field-row">
          <Field label={t("admin.field.maxFile")} name="max_file_mb" inputMode="numeric" value={maxFile} onChange={(e) => setMaxFile(e.target.value)} error={problems.maxFile} />
          <Field label={t("admin.field.maxUpload")} name="max_upload_mb" inputMode="numeric" value={maxUpload} onChange={(e) => setMaxUpload(e.target.value)} error={problems.maxUpload} />
        </div>
      )}
      {inputs.includes("file") && (
        <Field
          label={t("admin.field.fileTypes")}
          name="file_types"
          value={fileTypes}
          onChange={(e) => setFileTypes(e.target.value)}
          hint={t("admin.field.fileTypesHint")}
          error={error?.detailFor("file_types.0") ?? error?.detailFor("file_types")}
        />
      )}
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
      <div className="field-row">
        <Field
          label={t("admin.field.inFlight")}
          name="user_in_flight_limit"
          inputMode="numeric"
          value={inFlight}
          onChange={(e) => setInFlight(e.target.value)}
          hint={t("admin.field.inFlightHint")}
          error={problems.inFlight}
        />
        <div className="field">
          <label htmlFor={`${id}-pause`}>{t("admin.field.pause")}</label>
          <select id={`${id}-pause`} name="pause" value={pause} onChange={(e) => setPause(e.target.value as SpaceFormValues["pause"])}>
            <option value="off">{t("admin.field.pause.off")}</option>
            <option value="queue">{t("admin.field.pause.queue")}</option>
            <option value="reject">{t("admin.field.pause.reject")}</option>
          </select>
        </div>
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
