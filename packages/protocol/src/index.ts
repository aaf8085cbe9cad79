export * from "./states.js";
export * from "./error-codes.js";
export * from "./worker-events.js";
export * from "./http-auth.js";
export * from "./http-spaces.js";
export * from "./http-requests.js";
export * from "./live-events.js";
export * from "./http-admin.js";
