export { WsSpacesClient, isTerminal, type ClientOptions, type WaitOptions } from "./client.js";
export { ApiError, WaitTimeoutError } from "./errors.js";
export type { EventsOptions } from "./request-events.js";
export { SseParser, type SseMessage } from "./sse-parser.js";
export type { RequestFeedEvent, RequestView, SubmitBody, SubmitResponse } from "@wsspaces/protocol";
