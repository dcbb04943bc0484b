// An ordinary Django app, not berth's sample (examples/notes-app): code baked
// into the image, WhiteNoise's compressed manifest static storage (a
// ManifestStaticFilesStorage), ALLOWED_HOSTS = [its domain], a non-root USER.
// It deploys with config only, and rolls v1 → v2 under load without a
// failed request.
import { EventLog } from "./support/engine";
import { httpRequest } from "./support/http";
import { webPorts } from "../../components/config/types";
import { upstreamServerPort } from "../../components/render/nginx";
import { createLabStack, eventually, LabStack, onLabHost, runningContainer, takeOverLab, tearDownLab } from "./support/lab";
import { startLoad } from "./support/load";
import { expectNoFailedRequests } from "./support/sample";

const DOMAIN = "notes.localhost";
const WEB_PORT = 8002;

/** The app's config, as a user would write it in Pulumi.<stack>.yaml. */
function notesApp(options: { tag: string; user?: string }) {
    return {
        name: "notes",
        domain: DOMAIN,
        image: { repository: "172.30.0.2:5000/berth/notes", tag: options.tag },
        webPort: WEB_PORT,
        wsgiModule: "config.wsgi:application",
        hosts: { web: ["web-1", "web-2"], worker: ["worker-1"] },
        workerConcurrency: 3,
        ...(options.user ? { user: options.user } : {}),
        env: {
            DJANGO_SETTINGS_MODULE: "config.settings",
            DJANGO_ALLOWED_HOST: DOMAIN,
            STATIC_ROOT: "/srv/berth/notes/static",
        },
        // The lab's accessories (Pulumi.local.yaml), under the names this app's settings read; its own Redis database.
        accessories: [
            { name: "db", settings: { DATABASE_HOST: "host", DATABASE_NAME: "database", DATABASE_USER: "user", DATABASE_PASSWORD: "password" } },
            { name: "cache", settings: { CELERY_BROKER_URL: "url" }, redisDatabase: 1 },
        ],
    };
}

function throughNginx(path: string) {
    return httpRequest(`http://127.0.0.1:8080${path}`, { host: DOMAIN });
}

/** An HTTP status from a lab host, straight to web-1's serving container (the port nginx points at), not through nginx. */
async function statusOnWebHost(path: string, hostHeader: string): Promise<string> {
    const port = upstreamServerPort(await onLabHost("lb-1", "cat /srv/berth/nginx/nginx.conf"), "notes", "web-1");
    expect(webPorts({ webPort: WEB_PORT })).toContain(port);
    return (await onLabHost("web-1", `curl -s -o /dev/null -w '%{http_code}' -H 'Host: ${hostHeader}' http://172.30.0.11:${port}${path}`)).trim();
}

describe("an ordinary Django app in the lab (examples/notes-app)", () => {
    let lab: LabStack;
    const setApp = (options: { tag: string; user?: string }) => lab.stack.setConfig("berth:apps", { value: JSON.stringify([notesApp(options)]) });

    beforeAll(async () => {
        await takeOverLab();
        lab = await createLabStack();
        await lab.stack.setConfig("berth:secrets", {
            value: JSON.stringify({ notes: { SECRET_KEY: "notes-lab-secret-key" }, db: { PASSWORD: "sample-lab-password" }, cache: { PASSWORD: "lab-cache:p@ss/w%rd" } }),
            secret: true,
        });
    }, 15 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("refuses an image whose USER is not root when berth:apps[].user is not set, before any app container starts", async () => {
        await setApp({ tag: "v1" });
        await expect(lab.stack.up({ onEvent: new EventLog().onEvent })).rejects.toThrow(
            /172\.30\.0\.2:5000\/berth\/notes:v1 runs as USER "?notes"?, not root, and the user of app notes \(berth:apps\[\]\.user\) is not set/,
        );
        for (const host of ["web-1", "web-2", "worker-1"] as const) {
            expect([host, (await onLabHost(host, "docker ps -a --format '{{.Names}}'")).trim()]).toEqual([host, ""]);
        }
    }, 15 * 60_000);

    it("deploys with config only: pages, hashed static files, strict ALLOWED_HOSTS, its own user, worker concurrency", async () => {
        await setApp({ tag: "v1", user: "10001:10001" });
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");

        // Every page renders on both web hosts: staticfiles.json is where the app reads it.
        const servedBy = new Set<string>();
        let stylesheet = "";
        for (let request = 0; request < 10; request++) {
            const page = await throughNginx("/");
            expect(page.status).toBe(200);
            expect(page.body).toContain('<span id="version">v1</span>');
            servedBy.add(/<span id="host">([^<]+)<\/span>/.exec(page.body)![1]);
            stylesheet = /href="(\/static\/notes\/notes\.[0-9a-f]{12}\.css)"/.exec(page.body)![1];
        }
        expect([...servedBy].sort()).toEqual(["web-1", "web-2"]);
        // The hashed file: through nginx (uWSGI's static-map on a web host) and from the app itself (WhiteNoise).
        expect((await throughNginx(stylesheet)).status).toBe(200);
        expect(await statusOnWebHost(stylesheet, DOMAIN)).toBe("200");

        // Only the app's domain is allowed: health checks passed with it, any other Host is refused.
        expect(await statusOnWebHost("/healthz", DOMAIN)).toBe("200");
        expect(await statusOnWebHost("/healthz", "172.30.0.11")).toBe("400");

        // It runs as its own user, reads its env file, and cannot rewrite it or its uWSGI ini.
        const web = await runningContainer("web-1", "notes", "web");
        expect((await onLabHost("web-1", `docker exec ${web} id -u`)).trim()).toBe("10001");
        expect((await onLabHost("web-1", `docker exec ${web} sh -c 'echo X=1 >> /srv/berth/notes/env || echo refused; touch /srv/berth/notes/uwsgi.ini || echo refused'`)).trim())
            .toBe("refused\nrefused");
        expect((await onLabHost("web-1", "stat -c '%U:%g %a' /srv/berth/notes/env")).trim()).toBe("root:10001 640");

        // workerConcurrency reaches celery: the prefork pool has that many processes (children of celery, PID 1).
        const worker = await runningContainer("worker-1", "notes", "worker");
        await eventually("three celery pool processes", 60_000, async () =>
            (await onLabHost("worker-1", `docker exec ${worker} sh -c 'grep -l "^PPid:[[:space:]]*1$" /proc/[0-9]*/status | wc -l'`)).trim() === "3");
    }, 15 * 60_000);

    it("rolls v1 → v2 host by host without a failed request", async () => {
        await setApp({ tag: "v2", user: "10001:10001" });
        const load = startLoad({
            url: "http://127.0.0.1:8080",
            host: DOMAIN,
            rate: 40,
            requests: [
                { method: "GET", path: "/" },
                { method: "GET", path: "/version" },
                { method: "POST", path: "/notes" },
            ],
        });
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        const report = await load.stop();
        expect(up.summary.result).toBe("succeeded");
        expectNoFailedRequests(report);

        const versions = new Set<string>();
        for (let request = 0; request < 10; request++) {
            versions.add(JSON.parse((await throughNginx("/version")).body).image_version);
        }
        expect([...versions]).toEqual(["v2"]);
    }, 15 * 60_000);
});
