import type {
  AdminUserView,
  AdminWorkerView,
  ApiKeyView,
  CreatedApiKey,
  CreatedWorkerToken,
  CreateSpaceInput,
  LoginBody,
  MeView,
  PatchSpaceBody,
  PatchUserBody,
  RegisterBody,
  RequestState,
  RequestView,
  SpaceDetail,
  SpaceSummary,
  SubmitBody,
  SubmitResponse,
  WorkerTokenView, AdminOverview } from "@wsspaces/protocol";
import { request, withQuery } from "./http";

const id = encodeURIComponent;

/** The site's HTTP API (docs/api.md), one typed function per route the app uses. */
export const api = {
  auth: {
    me: (signal?: AbortSignal) => request<MeView>("GET", "/api/v1/me", undefined, signal),
    login: (body: LoginBody) => request<MeView>("POST", "/api/v1/auth/login", body),
    register: (body: RegisterBody) => request<MeView>("POST", "/api/v1/auth/register", body),
    logout: () => request<undefined>("POST", "/api/v1/auth/logout"),
  },
  apiKeys: {
    list: (signal?: AbortSignal) => request<{ api_keys: ApiKeyView[] }>("GET", "/api/v1/me/api-keys", undefined, signal),
    create: (name?: string) => request<CreatedApiKey>("POST", "/api/v1/me/api-keys", name ? { name } : {}),
    revoke: (keyId: string) => request<undefined>("DELETE", `/api/v1/me/api-keys/${id(keyId)}`),
  },
  spaces: {
    list: (signal?: AbortSignal) => request<{ spaces: SpaceSummary[] }>("GET", "/api/v1/spaces", undefined, signal),
    get: (spaceId: string, signal?: AbortSignal) => request<SpaceDetail>("GET", `/api/v1/spaces/${id(spaceId)}`, undefined, signal),
    create: (body: CreateSpaceInput) => request<SpaceDetail>("POST", "/api/v1/spaces", body),
    update: (spaceId: string, body: PatchSpaceBody) => request<SpaceDetail>("PATCH", `/api/v1/spaces/${id(spaceId)}`, body),
    remove: (spaceId: string) => request<undefined>("DELETE", `/api/v1/spaces/${id(spaceId)}`),
    tokens: (spaceId: string, signal?: AbortSignal) =>
      request<{ worker_tokens: WorkerTokenView[] }>("GET", `/api/v1/spaces/${id(spaceId)}/worker-tokens`, undefined, signal),
    createToken: (spaceId: string, name?: string) =>
      request<CreatedWorkerToken>("POST", `/api/v1/spaces/${id(spaceId)}/worker-tokens`, name ? { name } : {}),
    revokeToken: (spaceId: string, tokenId: string) =>
      request<undefined>("DELETE", `/api/v1/spaces/${id(spaceId)}/worker-tokens/${id(tokenId)}`),
  },
  requests: {
    submit: (spaceId: string, body: SubmitBody) => request<SubmitResponse>("POST", `/api/v1/spaces/${id(spaceId)}/requests`, body),
    /** With files: multipart, the prompt as a field and each file under its input's name. */
    submitWithFiles: (spaceId: string, form: FormData) => request<SubmitResponse>("POST", `/api/v1/spaces/${id(spaceId)}/requests`, form),
    get: (requestId: string, signal?: AbortSignal) => request<RequestView>("GET", `/api/v1/requests/${id(requestId)}`, undefined, signal),
    cancel: (requestId: string) => request<RequestView>("POST", `/api/v1/requests/${id(requestId)}/cancel`),
    /** A failed, timed-out or cancelled request again, with the same inputs and files. */
    retry: (requestId: string) => request<SubmitResponse>("POST", `/api/v1/requests/${id(requestId)}/retry`),
    /** The caller's requests, newest first (an admin's: everyone's). */
    list: (query: { space?: string; state?: RequestState; limit?: number }, signal?: AbortSignal) =>
      request<{ requests: RequestView[] }>("GET", withQuery("/api/v1/requests", query), undefined, signal),
  },
  admin: {
    workers: (signal?: AbortSignal) => request<{ workers: AdminWorkerView[] }>("GET", "/api/v1/admin/workers", undefined, signal),
    requests: (query: { space?: string; state?: RequestState | ""; user?: string; limit?: number }, signal?: AbortSignal) =>
      request<{ requests: RequestView[] }>("GET", withQuery("/api/v1/admin/requests", query), undefined, signal),
    users: (signal?: AbortSignal) => request<{ users: AdminUserView[] }>("GET", "/api/v1/admin/users", undefined, signal),
    overview: (minutes: number, signal?: AbortSignal) => request<AdminOverview>("GET", `/api/v1/admin/overview?minutes=${minutes}`, undefined, signal),
    updateUser: (userId: string, body: PatchUserBody) => request<AdminUserView>("PATCH", `/api/v1/admin/users/${id(userId)}`, body),
  },
};
