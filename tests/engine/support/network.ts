import { request as httpRequest } from "node:http";
import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

/** GET a URL on this machine and return status and body. */
export async function httpGet(url: string): Promise<{ status: number; body: string }> {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
}

export interface HttpAnswer {
    status: number;
    body: string;
    headers: Record<string, string | string[] | undefined>;
}

/**
 * One HTTP request with an explicit Host header (nginx picks the app's
 * server block by it; fetch may not set Host). Resolves even on 5xx;
 * rejects on connection errors.
 */
export function requestWithHost(url: string, host: string, method = "GET", timeoutMs = 10_000): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const request = httpRequest(url, { method, headers: { Host: host }, timeout: timeoutMs }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
        });
        request.on("timeout", () => request.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
        request.on("error", reject);
        request.end();
    });
}
