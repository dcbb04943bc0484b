import { request } from "node:http";

/** A request to a URL on this machine: status, headers (lower-case names) and body. */
export interface HttpResponse {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/**
 * One HTTP request on its own connection (`Connection: close`), never a
 * pooled one: uWSGI's plain `http-socket` answers HTTP/1.1 without a
 * `Connection: close` header yet closes the connection after each response,
 * so a keep-alive client (fetch) sometimes reuses a socket the server has
 * just closed and fails with "other side closed". Resolves on any status;
 * rejects on connection errors and timeouts.
 */
export function httpRequest(url: string, options: { method?: string; body?: string; timeoutMs?: number; host?: string } = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
        const body = options.body ?? "";
        const outgoing = request(
            url,
            {
                method: options.method ?? "GET",
                agent: false,
                timeout: options.timeoutMs ?? 10_000,
                headers: {
                    ...(options.method && options.method !== "GET" ? { "content-length": Buffer.byteLength(body) } : {}),
                    // nginx picks the app's server block by Host.
                    ...(options.host ? { host: options.host } : {}),
                },
            },
            (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (chunk: Buffer) => chunks.push(chunk));
                response.on("error", reject);
                response.on("end", () => {
                    const headers: Record<string, string> = {};
                    for (const [name, value] of Object.entries(response.headers)) {
                        if (value !== undefined) {
                            headers[name] = Array.isArray(value) ? value.join(", ") : value;
                        }
                    }
                    resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
                });
            },
        );
        outgoing.on("timeout", () => outgoing.destroy(new Error(`${options.method ?? "GET"} ${url} timed out`)));
        outgoing.on("error", reject);
        outgoing.end(body);
    });
}
