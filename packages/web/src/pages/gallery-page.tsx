import { useState } from "react";
import { Link } from "react-router";
import type { SpaceSummary } from "@wsspaces/protocol";
import { api } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ConnectionDot } from "../components/badges";
import { ErrorMessage } from "../components/error-message";
import { SpaceCover } from "../components/space-cover";
import { useI18n } from "../i18n/i18n";
import { mergeLive, useLiveSpaces } from "../live/use-space-status";
import { useLoad } from "../util/use-load";
import { useTitle } from "../util/use-title";

function matches(space: SpaceSummary, query: string): boolean {
  const q = query.trim().toLocaleLowerCase();
  return q === "" || space.name.toLocaleLowerCase().includes(q) || space.description.toLocaleLowerCase().includes(q);
}

function SpaceCard({ space }: { space: SpaceSummary }) {
  const { t, tn } = useI18n();
  return (
    <li className="card" data-testid="space-card">
      <SpaceCover name={space.name} />
      <div className="card__body">
        <h2 className="card__title">
          <Link to={`/spaces/${encodeURIComponent(space.id)}`}>{space.name}</Link>
        </h2>
        <p className="card__desc">{space.description || <span className="muted">{t("gallery.noDescription")}</span>}</p>
        <p className="card__meta">
          <ConnectionDot connected={space.connected} />
          <span>{tn("gallery.workers", space.workers)}</span>
          <span>{tn("gallery.waiting", space.queue_length)}</span>
        </p>
      </div>
    </li>
  );
}

/** `/`: every space as a card with its live status, and a search box. */
export function GalleryPage() {
  const { t, tn } = useI18n();
  const { me } = useSession();
  useTitle(t("gallery.title"));
  const [query, setQuery] = useState("");
  const list = useLoad("spaces", (signal) => api.spaces.list(signal));
  const loaded = list.value?.spaces ?? [];
  const updates = useLiveSpaces(loaded.map((s) => s.id));
  const spaces = mergeLive(loaded, updates);
  const shown = spaces.filter((s) => matches(s, query));

  return (
    <div className="page">
      <div className="page__head">
        <h1>{t("gallery.title")}</h1>
        <p className="muted">{t("gallery.intro")}</p>
      </div>
      <div className="toolbar">
        <label className="field field--inline">
          <span>{t("gallery.search")}</span>
          <input type="search" value={query} placeholder={t("gallery.searchPlaceholder")} onChange={(e) => setQuery(e.target.value)} />
        </label>
        {list.value && (
          <span className="muted" role="status">
            {tn("gallery.count", shown.length)}
          </span>
        )}
      </div>
      {list.error && <ErrorMessage error={list.error} />}
      {list.loading && <p className="muted">{t("common.loading")}</p>}
      {list.value && spaces.length === 0 && (
        <div className="empty" data-testid="gallery-empty">
          <p>{t("gallery.empty")}</p>
          {me?.role === "admin" && (
            <p>
              <Link to="/admin/spaces/new">{t("gallery.emptyAdmin")}</Link>
            </p>
          )}
        </div>
      )}
      {spaces.length > 0 && shown.length === 0 && <p className="empty">{t("gallery.noMatch", { query })}</p>}
      {shown.length > 0 && (
        <ul className="cards">
          {shown.map((space) => (
            <SpaceCard key={space.id} space={space} />
          ))}
        </ul>
      )}
    </div>
  );
}
