import { useEffect, useEffectEvent, useReducer } from "react";
import type { RequestState } from "@wsspaces/protocol";
import { api } from "../api/endpoints";
import { ApiError, toApiError } from "../api/api-error";
import { live } from "./live-client";
import { feedReducer, initialFeed, isTerminal, type FeedAction, type FeedState } from "./request-feed";

interface HookState {
  feed: FeedState;
  error: ApiError | null;
}

type HookAction = { requestId: string } & ({ type: "feed"; action: FeedAction } | { type: "error"; error: ApiError });

function reducer(state: HookState, action: HookAction): HookState {
  // Each action names its request, so switching requests needs no reset step.
  const base = state.feed.requestId === action.requestId ? state : { feed: initialFeed(action.requestId), error: null };
  switch (action.type) {
    case "error":
      return { ...base, error: action.error };
    case "feed":
      return { feed: feedReducer(base.feed, action.action), error: null };
  }
}

export interface RequestFeed {
  feed: FeedState | null;
  /** Loading or watching failed (`not_found` for someone else's request). */
  error: ApiError | null;
  /** Apply a view or event the page already has (e.g. the answer to a cancel). */
  apply: (action: FeedAction) => void;
}

/**
 * A request, live: reads its current view over HTTP, then (unless it has already finished)
 * watches its feed on `/live` — position and ETA, progress, streamed output and the final
 * result — until it ends. Re-attaching after a reload or from a second tab replays the feed.
 */
export function useRequestFeed(requestId: string | null, onStateChange?: (state: RequestState) => void): RequestFeed {
  const [state, dispatch] = useReducer(reducer, { feed: initialFeed(""), error: null });
  const stateChanged = useEffectEvent((newState: RequestState) => onStateChange?.(newState));

  useEffect(() => {
    if (requestId === null) return;
    const controller = new AbortController();
    let stopWatching: (() => void) | undefined;
    api.requests.get(requestId, controller.signal).then(
      (view) => {
        if (controller.signal.aborted) return;
        dispatch({ requestId, type: "feed", action: { type: "snapshot", view, at: Date.now() } });
        if (isTerminal(view.state)) return;
        stopWatching = live.watchRequest(requestId, {
          event(event) {
            dispatch({ requestId, type: "feed", action: { type: "event", event, at: Date.now() } });
            if (event.type === "state") stateChanged(event.data.state);
            if (event.type === "done") {
              stopWatching?.();
              stopWatching = undefined;
            }
          },
          refused(error) {
            dispatch({ requestId, type: "error", error: new ApiError(0, error.code, error.message) });
          },
        });
      },
      (err: unknown) => {
        if (!controller.signal.aborted) dispatch({ requestId, type: "error", error: toApiError(err) });
      },
    );
    return () => {
      controller.abort();
      stopWatching?.();
    };
  }, [requestId]);

  const current = requestId !== null && state.feed.requestId === requestId ? state : null;
  return {
    feed: current?.feed ?? null,
    error: current?.error ?? null,
    apply: (action) => {
      if (requestId !== null) dispatch({ requestId, type: "feed", action });
    },
  };
}
