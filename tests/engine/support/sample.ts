// The sample app as the lab serves it: load through nginx, and which
// release each web host answers with.
import { httpRequest } from "./http";
import { LoadReport, startLoad } from "./load";

/** A steady GET/POST load on the sample app through the lab's nginx (over HTTPS: 8443, with the domain as SNI). */
export function sampleLoad(scheme: "http" | "https" = "http") {
    return startLoad({
        url: scheme === "http" ? "http://127.0.0.1:8080" : "https://127.0.0.1:8443",
        host: "sample.localhost",
        rate: 40,
        requests: [
            { method: "GET", path: "/" },
            { method: "GET", path: "/version" },
            { method: "POST", path: "/visits" },
        ],
    });
}

/** Which image tag and code ref each web host in rotation serves, through nginx. */
export async function servedVersions(): Promise<Record<string, string>> {
    const seen: Record<string, string> = {};
    for (let request = 0; request < 16; request++) {
        const version = JSON.parse((await httpRequest("http://127.0.0.1:8080/version", { host: "sample.localhost" })).body);
        seen[version.host] = `${version.image_tag} ${version.code_ref}`;
    }
    return seen;
}

/** Every request of the load answered 200/201: no 5xx, no connection error. */
export function expectNoFailedRequests(report: LoadReport): void {
    expect(report.requests).toBeGreaterThan(100);
    expect({ errors: report.errors, failures: report.failures, non2xx: report.non2xx, statusCodes: report.statusCodes }).toEqual({
        errors: 0, failures: [], non2xx: 0, statusCodes: { "200": expect.any(Number), "201": expect.any(Number) },
    });
}
