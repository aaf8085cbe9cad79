import type { RequestFeedEvent, RequestState, RequestView, TerminalState } from "@wsspaces/protocol";

const TERMINAL: ReadonlySet<RequestState> = new Set<TerminalState>(["completed", "failed", "cancelled", "timed_out"]);

export function isTerminal(state: RequestState): state is TerminalState {
  return TERMINAL.has(state);
}

/** What the page knows about one request, folded from a snapshot and the live feed. */
export interface FeedState {
  requestId: string;
  /** The last full view: from `GET /requests/:id`, then the `done` event. */
  view: RequestView | null;
  state: RequestState | null;
  position: number | null;
  /** When a result is expected (ms since the epoch), from the last ETA the server gave. */
  etaAt: number | null;
  progress: number | null;
  message: string | null;
  startedAt: string | null;
  /** Dispatch attempt whose output is shown. */
  attempt: number;
  /** Streamed partial output of the current attempt (text deltas; other chunks as JSON lines). */
  output: string;
  /** Highest stream sequence number applied, to drop replays and duplicates. */
  lastSeq: number;
  /** The feed id prefix of the last event (changes when the server starts a new feed). */
  feed: string | null;
}

/** `at`: when the page received it (ms since the epoch), to turn "ETA N s" into a time. */
export type FeedAction = { type: "snapshot"; view: RequestView; at: number } | { type: "event"; event: RequestFeedEvent; at: number };

export function initialFeed(requestId: string): FeedState {
  return {
    requestId,
    view: null,
    state: null,
    position: null,
    etaAt: null,
    progress: null,
    message: null,
    startedAt: null,
    attempt: 0,
    output: "",
    lastSeq: 0,
    feed: null,
  };
}

function etaAt(etaSeconds: number | null | undefined, at: number): number | null {
  return etaSeconds === null || etaSeconds === undefined ? null : at + etaSeconds * 1000;
}

function fromView(state: FeedState, view: RequestView, at: number): FeedState {
  return {
    ...state,
    view,
    state: view.state,
    position: view.position,
    // Optional until every server sends it.
    etaAt: isTerminal(view.state) ? null : etaAt(view.eta_seconds, at),
    progress: view.progress,
    message: view.progress_message,
    startedAt: view.started_at,
    attempt: Math.max(state.attempt, view.attempts),
  };
}

function clearOutput(state: FeedState): FeedState {
  return { ...state, output: "", lastSeq: 0, progress: null, message: null };
}

function appendChunk(output: string, chunk: unknown): string {
  if (typeof chunk === "string") return output + chunk;
  const json = JSON.stringify(chunk);
  return `${output}${output === "" || output.endsWith("\n") ? "" : "\n"}${json}\n`;
}

/** Folds one snapshot or live event into the request's state. Pure, so it is easy to test. */
export function feedReducer(state: FeedState, action: FeedAction): FeedState {
  if (action.type === "snapshot") {
    if (action.view.id !== state.requestId) return state;
    // A terminal state never changes again: an older snapshot cannot undo it.
    if (state.state !== null && isTerminal(state.state) && !isTerminal(action.view.state)) return state;
    return fromView(state, action.view, action.at);
  }

  const event = action.event;
  if (event.request_id !== state.requestId) return state;
  if (state.state !== null && isTerminal(state.state) && event.type !== "done") return state;

  let next = state;
  const feed = event.id.includes(":") ? event.id.slice(0, event.id.lastIndexOf(":")) : null;
  if (feed !== null && state.feed !== null && feed !== state.feed) {
    // A new feed replays from its start: rebuild the output from it.
    next = clearOutput(next);
  }
  next = { ...next, feed: feed ?? next.feed };

  switch (event.type) {
    case "state": {
      const { state: newState, attempt } = event.data;
      next = { ...next, state: newState };
      if (newState === "queued" || attempt > next.attempt) next = clearOutput(next);
      if (attempt > next.attempt) next = { ...next, attempt };
      if (newState !== "queued") next = { ...next, position: null };
      return next;
    }
    case "position":
      return { ...next, position: event.data.position, etaAt: etaAt(event.data.eta_seconds, action.at) };
    case "progress":
      return { ...next, progress: event.data.progress ?? next.progress, message: event.data.message ?? next.message };
    case "stream": {
      const { seq, chunk, attempt } = event.data;
      if (attempt < next.attempt) return next;
      if (attempt > next.attempt) next = { ...clearOutput(next), attempt };
      if (seq <= next.lastSeq) return next;
      return { ...next, output: appendChunk(next.output, chunk), lastSeq: seq };
    }
    case "done":
      return { ...fromView(next, event.data, action.at), position: null, etaAt: null };
  }
}
