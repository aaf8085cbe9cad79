import { useEffect, useEffectEvent, useState } from "react";
import type { SpaceDetail, SpaceSummary } from "@wsspaces/protocol";
import { api } from "../api/endpoints";
import { toApiError, type ApiError } from "../api/api-error";
import { live } from "./live-client";

interface Status {
  spaceId: string;
  space: SpaceDetail | null;
  removed: boolean;
  error: ApiError | null;
}

export interface SpaceStatus {
  space: SpaceDetail | null;
  /** The space was deleted while the page was open. */
  removed: boolean;
  error: ApiError | null;
  /** Read the space again over HTTP (e.g. right after submitting). */
  refresh: () => void;
}

/**
 * A space's live status (connected, workers, queue): read over HTTP, then kept up to date by
 * `/live`. The pushed status is the anonymous view (every name masked, no request ids), so for
 * a signed-in reader (`personal`) a push is the cue to read their own view again; at most one
 * read is in flight, and one more follows it if pushes arrived meanwhile.
 */
export function useSpaceStatus(spaceId: string, personal: boolean): SpaceStatus {
  const [status, setStatus] = useState<Status>({ spaceId, space: null, removed: false, error: null });
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let loading = false;
    let again = false;
    const load = () => {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      api.spaces.get(spaceId, controller.signal).then(
        (space) => setStatus((s) => ({ spaceId, space, removed: s.spaceId === spaceId && s.removed, error: null })),
        (err: unknown) => {
          if (!controller.signal.aborted) setStatus((s) => ({ spaceId, space: null, removed: s.spaceId === spaceId && s.removed, error: toApiError(err) }));
        },
      ).finally(() => {
        loading = false;
        if (again && !controller.signal.aborted) {
          again = false;
          load();
        }
      });
    };
    load();
    const unsubscribe = live.subscribeSpace(spaceId, {
      status: (space) => (personal ? load() : setStatus({ spaceId, space, removed: false, error: null })),
      removed: () => setStatus((s) => ({ ...s, spaceId, removed: true })),
      subscribed: () => undefined,
    });
    return () => {
      controller.abort();
      unsubscribe();
    };
  }, [spaceId, personal, version]);

  const current = status.spaceId === spaceId ? status : null;
  return {
    space: current?.space ?? null,
    removed: current?.removed ?? false,
    error: current?.error ?? null,
    refresh: () => setVersion((v) => v + 1),
  };
}

/**
 * Live overrides for a list of spaces (the gallery, the admin lists): the latest pushed status
 * of each (its summary fields are the same for everyone), and which were removed. Merge with
 * {@link mergeLive}.
 */
export function useLiveSpaces(spaceIds: readonly string[]): Map<string, SpaceDetail | "removed"> {
  const [updates, setUpdates] = useState<Map<string, SpaceDetail | "removed">>(() => new Map());
  const key = spaceIds.join(",");

  useEffect(() => {
    const ids = key === "" ? [] : key.split(",");
    // The server sends each space's current status when the subscription starts.
    const stops = ids.map((id) =>
      live.subscribeSpace(id, {
        status: (space) => setUpdates((m) => new Map(m).set(id, space)),
        removed: () => setUpdates((m) => new Map(m).set(id, "removed")),
        subscribed: () => undefined,
      }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }, [key]);

  return updates;
}

/** The listed spaces with their live status applied and the removed ones left out. */
export function mergeLive<T extends SpaceSummary>(spaces: readonly T[], updates: Map<string, SpaceDetail | "removed">): (T | SpaceDetail)[] {
  return spaces.flatMap((space) => {
    const update = updates.get(space.id);
    if (update === "removed") return [];
    return [update ?? space];
  });
}

/** Whether the `/live` connection is up (pages show a note while it is not). */
export function useLiveConnected(): boolean {
  const [connected, setConnected] = useState(live.connected);
  useEffect(() => live.onConnectionChange(setConnected), []);
  return connected;
}

/**
 * Calls `onChange` (at most every 300 ms) whenever any of these spaces changes — workers
 * come or go, the queue moves — or the subscription is (re)confirmed. For pages that show
 * data derived from spaces, such as the admin's worker list.
 */
export function useSpaceChanges(spaceIds: readonly string[], onChange: () => void): void {
  const key = spaceIds.join(",");
  const changed = useEffectEvent(onChange);
  useEffect(() => {
    const ids = key === "" ? [] : key.split(",");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        changed();
      }, 300);
    };
    const stops = ids.map((id) => live.subscribeSpace(id, { status: schedule, removed: schedule, subscribed: schedule }));
    return () => {
      clearTimeout(timer);
      for (const stop of stops) stop();
    };
  }, [key]);
}
