import type { FileView } from "@wsspaces/protocol";
import { useI18n } from "../i18n/i18n";
import { JsonTree } from "./json-tree";

type MediaKind = "image" | "audio" | "video" | "file";

interface Media {
  kind: MediaKind;
  url: string;
  name: string;
  path: string;
}

const TEXT_KEYS = ["text_output", "text", "output"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Only the site's own file downloads are shown as media: nothing else is loaded. */
function fileUrl(value: string): string | null {
  if (value.startsWith("/api/v1/files/")) return value;
  try {
    const url = new URL(value);
    if (url.origin === window.location.origin && url.pathname.startsWith("/api/v1/files/")) return url.pathname + url.search;
  } catch {
    // Not a URL.
  }
  return null;
}

function kindOf(key: string, url: string, owner: Record<string, unknown> | null): MediaKind {
  const mime = [owner?.mime, owner?.content_type, owner?.type].find((v): v is string => typeof v === "string") ?? "";
  for (const kind of ["image", "audio", "video"] as const) if (mime.startsWith(`${kind}/`)) return kind;
  const lowered = key.toLowerCase();
  for (const kind of ["image", "audio", "video"] as const) if (lowered.includes(kind)) return kind;
  const ext = /\.([a-z0-9]+)(?:$|\?)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  if (["png", "jpg", "jpeg", "gif", "webp", "avif", "svg"].includes(ext)) return ext === "svg" ? "file" : "image";
  if (["mp3", "wav", "ogg", "oga", "flac", "m4a", "opus"].includes(ext)) return "audio";
  if (["mp4", "webm", "ogv", "mov"].includes(ext)) return "video";
  return "file";
}

/** Every link to the site's files inside a result, with what it seems to be. */
export function findMedia(value: unknown, path = "", depth = 0, owner: Record<string, unknown> | null = null, key = ""): Media[] {
  if (depth > 5) return [];
  if (typeof value === "string") {
    const url = fileUrl(value);
    if (url === null) return [];
    const name = (typeof owner?.name === "string" ? owner.name : null) ?? decodeURIComponent(url.split("?")[0]?.split("/").pop() ?? "file");
    return [{ kind: kindOf(key, url, owner), url, name, path }];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => findMedia(item, `${path}[${i}]`, depth + 1, owner, key));
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([k, v]) => findMedia(v, path ? `${path}.${k}` : k, depth + 1, value, k));
  }
  return [];
}

function kindOfMime(mime: string): MediaKind {
  for (const kind of ["image", "audio", "video"] as const) if (mime.startsWith(`${kind}/`)) return kind;
  return "file";
}

/** The request's output files, as media by their (sniffed) type. SVG and HTML stay downloads. */
export function outputMedia(files: readonly FileView[]): Media[] {
  return files
    .filter((f) => f.kind === "output")
    .map((f) => ({ kind: f.mime === "image/svg+xml" ? "file" : kindOfMime(f.mime), url: f.url, name: f.name, path: f.id }));
}

function MediaItem({ media }: { media: Media }) {
  const { t } = useI18n();
  switch (media.kind) {
    case "image":
      return (
        <figure className="media">
          <img src={media.url} alt={`${t("request.image")}: ${media.name}`} loading="lazy" />
          <figcaption>{media.name}</figcaption>
        </figure>
      );
    case "audio":
      return (
        <figure className="media">
          <audio controls preload="metadata" src={media.url} aria-label={media.name} />
          <figcaption>{media.name}</figcaption>
        </figure>
      );
    case "video":
      return (
        <figure className="media">
          <video controls preload="metadata" src={media.url} aria-label={media.name} />
          <figcaption>{media.name}</figcaption>
        </figure>
      );
    case "file":
      return (
        <p className="media">
          <a href={media.url} download={media.name}>
            {t("request.download", { name: media.name })}
          </a>
        </p>
      );
  }
}

/**
 * A final result rendered by its type: text as text, objects as a JSON tree (with their main
 * text first), and the site's own files as images, audio, video or links. Never as HTML.
 */
export function ResultView({ result, files = [] }: { result: unknown; files?: readonly FileView[] }) {
  const { t } = useI18n();
  const outputs = outputMedia(files);
  if ((result === null || result === undefined) && outputs.length === 0) return <p className="muted">{t("request.noResult")}</p>;
  if (typeof result === "string") {
    return (
      <pre className="result-text" data-testid="result-text">
        {result}
      </pre>
    );
  }
  const text = isRecord(result) ? TEXT_KEYS.map((k) => result[k]).find((v): v is string => typeof v === "string") : undefined;
  // Output files first; links to the same files inside the result are not shown twice.
  const media = [...outputs, ...findMedia(result).filter((m) => !outputs.some((o) => o.url === m.url.split("?")[0]))];
  return (
    <div className="result">
      {text !== undefined && (
        <pre className="result-text" data-testid="result-text">
          {text}
        </pre>
      )}
      {media.length > 0 && (
        <div className="media-list" data-testid="result-media">
          {media.map((m) => (
            <MediaItem key={`${m.path}:${m.url}`} media={m} />
          ))}
        </div>
      )}
      {result === null || result === undefined ? null : text !== undefined || media.length > 0 ? (
        <details className="result-json">
          <summary>{t("request.json")}</summary>
          <JsonTree value={result} />
        </details>
      ) : (
        <JsonTree value={result} />
      )}
    </div>
  );
}
