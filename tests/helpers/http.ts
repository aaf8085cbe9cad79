/** A small JSON client for the HTTP API, authenticated by an API key or a cookie jar. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  private cookie: string | undefined;
  private csrf: string | undefined;

  /** Longest wait for one call; `?wait=N` calls need more than N seconds. */
  timeoutMs = 30_000;

  constructor(
    readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  withKey(apiKey: string): ApiClient {
    return new ApiClient(this.baseUrl, apiKey);
  }

  /** Signs in with a password and keeps the session cookie and CSRF token, like a browser. */
  async login(username: string, password: string): Promise<ApiResponse> {
    const res = await this.request("POST", "/api/v1/auth/login", { username, password });
    this.rememberSession(res);
    return res;
  }

  async register(username: string, password: string): Promise<ApiResponse> {
    const res = await this.request("POST", "/api/v1/auth/register", { username, password });
    this.rememberSession(res);
    return res;
  }

  get<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>("GET", path);
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.request<T>("POST", path, body, headers);
  }

  patch<T = Record<string, unknown>>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>("PATCH", path, body);
  }

  delete<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>("DELETE", path);
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== "GET" && !("x-csrf-token" in headers)) headers["x-csrf-token"] = this.csrf;
    let payload: string | undefined;
    if (body !== undefined) {
      headers["content-type"] ??= "application/json";
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    // A bounded wait: a server killed mid-request must fail the call, not hang it.
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(this.timeoutMs),
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the assertion message.
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  forgetCsrf(): void {
    this.csrf = undefined;
  }

  private rememberSession(res: ApiResponse): void {
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0];
    if (typeof res.body.csrf_token === "string") this.csrf = res.body.csrf_token;
  }
}
