import { checkSince, formatLogLine, mergeByTime, parseLogOutput, planLogSources } from "../../../cli/logs";
import { validateConfig } from "../../../components/config";
import { labHostsConfig } from "../../support/labHosts";

const spec = validateConfig({
    hosts: labHostsConfig(),
    loadBalancer: { host: "lb-1" },
    apps: [
        { name: "sample", domain: "sample.localhost", image: { repository: "sample", tag: "v1" }, webPort: 8001, hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] } },
        { name: "notes", domain: "notes.localhost", image: { repository: "notes", tag: "v1" }, webPort: 8003, hosts: { web: ["web-2"] } },
    ],
});

describe("berth logs", () => {
    it("reads every role of the named app and nginx, narrowed by role and host", () => {
        expect(planLogSources(spec, { app: "sample" })).toEqual([
            { host: "web-1", app: "sample", role: "web" }, { host: "web-2", app: "sample", role: "web" },
            { host: "worker-1", app: "sample", role: "worker" }, { host: "worker-1", app: "sample", role: "beat" },
            { host: "lb-1", app: "", role: "nginx" },
        ]);
        expect(planLogSources(spec, { role: "web", host: "web-2" })).toEqual([{ host: "web-2", app: "sample", role: "web" }, { host: "web-2", app: "notes", role: "web" }]);
    });

    it("refuses an unknown app, a host that runs none of it, a role the app has not, with what is allowed", () => {
        expect(() => planLogSources(spec, { app: "shop" })).toThrow('no app "shop" in berth:apps (known: sample, notes)');
        expect(() => planLogSources(spec, { app: "notes", host: "worker-1" })).toThrow("host worker-1 runs no app notes (the hosts that do: web-2, lb-1)");
        expect(() => planLogSources(spec, { app: "notes", role: "beat" })).toThrow("app notes has no beat containers (its roles: web)");
        expect(() => planLogSources(spec, { role: "cron" })).toThrow('--role must be one of web, worker, beat, nginx (got "cron")');
        expect(() => checkSince("yesterday")).toThrow(/--since must be a duration like 10m/);
        expect([checkSince("10m"), checkSince("2d"), checkSince("2026-12-07T08:00:00Z")]).toEqual(["10m", "48h", "2026-12-07T08:00:00Z"]);
    });

    it("merges the hosts' lines by time, each prefixed with host and role, a container's own order kept", () => {
        const web1 = parseLogOutput("2026-12-07T08:00:01.5Z GET / 200\n2026-12-07T08:00:03.000000001Z GET /b 200\n", { host: "web-1", app: "sample", role: "web" });
        const worker = parseLogOutput("2026-12-07T08:00:02.25Z task ok\nTraceback continued\n", { host: "worker-1", app: "sample", role: "worker" });
        expect(mergeByTime([web1, worker]).map(formatLogLine)).toEqual([
            "2026-12-07T08:00:01.5Z web-1 sample/web | GET / 200",
            "2026-12-07T08:00:02.25Z worker-1 sample/worker | task ok",
            "2026-12-07T08:00:02.25Z worker-1 sample/worker | Traceback continued",
            "2026-12-07T08:00:03.000000001Z web-1 sample/web | GET /b 200",
        ]);
    });
});
