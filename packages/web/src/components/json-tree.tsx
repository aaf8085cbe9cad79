import { useI18n } from "../i18n/i18n";

const MAX_DEPTH = 12;
const MAX_ITEMS = 200;

function Primitive({ value }: { value: unknown }) {
  if (typeof value === "string") return <span className="json__string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json__number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="json__boolean">{String(value)}</span>;
  // JSON has nothing else but null.
  return <span className="json__null">null</span>;
}

function Node({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const label = name !== null && <span className="json__key">{name}: </span>;
  if (typeof value !== "object" || value === null || depth >= MAX_DEPTH) {
    return (
      <li>
        {label}
        {typeof value === "object" && value !== null ? <span className="json__null">…</span> : <Primitive value={value} />}
      </li>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <li>
        {label}
        <span className="json__punct">
          {open}
          {close}
        </span>
      </li>
    );
  }
  return (
    <li>
      <details open={depth < 2}>
        <summary>
          {label}
          <span className="json__punct">
            {open} {entries.length} {close}
          </span>
        </summary>
        <ul className="json__children">
          {entries.slice(0, MAX_ITEMS).map(([key, child]) => (
            <Node key={key} name={key} value={child} depth={depth + 1} />
          ))}
          {entries.length > MAX_ITEMS && <li className="json__null">… {entries.length - MAX_ITEMS}</li>}
        </ul>
      </details>
    </li>
  );
}

/** Any JSON value as a collapsible tree of text (never HTML). */
export function JsonTree({ value, label }: { value: unknown; label?: string }) {
  const { t } = useI18n();
  return (
    <ul className="json" aria-label={label ?? t("request.json")}>
      <Node name={null} value={value} depth={0} />
    </ul>
  );
}
