// A lean keep-alive HTTP/1.1 client (node:http), cheaper per call than fetch, so the load
// generator takes less of the machine's two cores from the server under test.
import http from "node:http";

export function createClient(baseUrl, { maxSockets = 64, headers = {} } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(baseUrl);
  function call(method, path, body) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          agent,
          hostname,
          port,
          method,
          path,
          headers: payload ? { ...headers, "content-type": "application/json", "content-length": payload.length } : headers,
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode, body: json, text });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
  return {
    post: (path, body) => call("POST", path, body),
    get: (path) => call("GET", path),
    close: () => agent.destroy(),
  };
}
