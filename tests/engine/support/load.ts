import autocannon from "autocannon";

/** What a steady load saw while it ran. */
export interface LoadReport {
    requests: number;
    /** Connection errors and timeouts. */
    errors: number;
    /** The first failed requests: seconds since the load started, and the error ("request timed out", ECONNRESET). */
    failures: string[];
    /** Answers outside 2xx (5xx from nginx or the app). */
    non2xx: number;
    statusCodes: Record<string, number>;
    latencyP50Ms: number;
    latencyP99Ms: number;
    durationSeconds: number;
}

export interface RunningLoad {
    /** Stops the load and reports what it saw. */
    stop(): Promise<LoadReport>;
}

export interface LoadOptions {
    /** e.g. http://127.0.0.1:8080 */
    url: string;
    /** Host header: nginx picks the app by it. Over https, also the TLS server name (SNI). */
    host: string;
    /** Requests per second, all connections together: a steady rate, not a flood. */
    rate: number;
    /** Requests cycle through these; POST bodies go to the app's write path. */
    requests: { method: "GET" | "POST"; path: string }[];
    /** Safety bound: the load stops by itself after this long. Default 15 minutes. */
    maxSeconds?: number;
}

/**
 * Starts a steady mixed GET/POST load (autocannon) that runs until stopped,
 * so a deploy can be measured from the first step to the last.
 */
export function startLoad(options: LoadOptions): RunningLoad {
    const started = Date.now();
    let finished!: (report: LoadReport) => void;
    const done = new Promise<LoadReport>((resolve) => (finished = resolve));
    const failures: string[] = [];
    const instance = autocannon(
        {
            url: options.url,
            connections: 4,
            overallRate: options.rate,
            duration: options.maxSeconds ?? 15 * 60,
            timeout: 10,
            headers: { host: options.host },
            ...(options.url.startsWith("https:") ? { servername: options.host } : {}),
            requests: options.requests.map((request) => ({
                method: request.method,
                path: request.path,
                ...(request.method === "POST" ? { body: "", headers: { host: options.host, "content-length": "0" } } : {}),
            })),
        },
        (error, result) => {
            if (error) {
                throw error;
            }
            const statusCodes: Record<string, number> = {};
            for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
                statusCodes[code] = stats.count ?? 0;
            }
            finished({
                requests: result.requests.total,
                // autocannon counts a timeout among its errors too.
                errors: result.errors,
                failures,
                non2xx: result.non2xx,
                statusCodes,
                latencyP50Ms: result.latency.p50,
                latencyP99Ms: result.latency.p99,
                durationSeconds: (Date.now() - started) / 1000,
            });
        },
    );
    instance.on("reqError", (error: Error & { code?: string }) => {
        if (failures.length < 20) {
            failures.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${error.code ?? error.message}`);
        }
    });
    return {
        stop() {
            instance.stop();
            return done;
        },
    };
}
