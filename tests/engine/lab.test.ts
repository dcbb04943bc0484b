// The embedded default, end to end: from a clean lab, `pulumi up` on the
// local stack brings the sample app up behind nginx; destroy removes what it
// made but the accessories' data volumes; the database outlives a destroy.
import { EventLog } from "./support/engine";
import { containersOn, createLabStack, eventually, labDown, LabStack, labUp, onLabHost, runningContainer, sampleThroughNginx, sampleTicks, tearDownLab } from "./support/lab";

describe("the sample app in the lab", () => {
    let lab: LabStack;

    beforeAll(async () => {
        await labDown();
        await labUp();
        lab = await createLabStack();
    }, 15 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("comes up behind nginx on both web hosts, healthy, with celery beat counting", async () => {
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.apps.value.sample.url).toBe("http://sample.localhost:8080/");

        const servedBy = new Set<string>();
        for (let request = 0; request < 20; request++) {
            const page = await sampleThroughNginx("/");
            expect(page.status).toBe(200);
            servedBy.add(String(page.headers["x-served-by"]));
        }
        expect([...servedBy].sort()).toEqual(["web-1", "web-2"]);
        expect((await sampleThroughNginx("/healthz")).status).toBe(200);
        // Static files come through nginx from the web hosts' uWSGI: the internet-facing load
        // balancer holds nothing of the app (no image, no env file, no checkout).
        const stylesheet = await sampleThroughNginx("/static/counter/style.css");
        expect([stylesheet.status, stylesheet.headers["content-type"], stylesheet.headers["cache-control"]]).toEqual([200, "text/css", "max-age=604800"]);
        expect(stylesheet.body).toContain("{");
        // Its only other directory is the ACME challenge webroot, empty while no app has HTTPS.
        expect((await onLabHost("lb-1", "ls /srv/berth; find /srv/berth/tls -type f | wc -l; docker images --format '{{.Repository}}' | grep -c berth/sample || true")).trim().split("\n")).toEqual(["nginx", "tls", "0", "0"]);

        // Even as root, the app cannot rewrite its settings, ini, code or static files: the host volume is read-only to it.
        const writes = ["env", "uwsgi.ini", "code/manage.py", "static/counter/style.css"]
            .map((file) => `{ echo x >> /srv/berth/sample/${file}; } 2>/dev/null && echo "wrote ${file}" || echo "refused ${file}"`)
            .join("; ");
        expect((await onLabHost("web-1", `docker exec ${await runningContainer("web-1", "sample", "web")} sh -c '${writes}'`)).trim().split("\n")).toEqual([
            "refused env", "refused uwsgi.ini", "refused code/manage.py", "refused static/counter/style.css",
        ]);

        const ticks = await sampleTicks();
        await eventually("the celery beat counter increasing", 60_000, async () => (await sampleTicks()) > ticks);
    }, 15 * 60_000);

    it("destroys every container it made, and the database survives a destroy and up", async () => {
        const visit = await sampleThroughNginx("/visits", "POST");
        expect(visit.status).toBe(201);
        const visitsBefore = JSON.parse(visit.body).visits as number;

        const destroyed = await lab.stack.destroy({ onEvent: new EventLog().onEvent });
        expect(destroyed.summary.result).toBe("succeeded");
        for (const host of ["web-1", "web-2", "worker-1", "lb-1", "data-1"] as const) {
            expect([host, await containersOn(host)]).toEqual([host, []]);
        }
        // The accessories' data volumes are kept: the next up finds the data where it was.
        expect((await onLabHost("data-1", "docker volume ls --format '{{.Name}}' | sort")).trim().split("\n")).toEqual(["berth-cache-data", "berth-db-data"]);

        const again = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(again.summary.result).toBe("succeeded");
        const page = await sampleThroughNginx("/");
        expect(page.status).toBe(200);
        const visits = Number(/<strong id="visits">(\d+)<\/strong>/.exec(page.body)?.[1]);
        expect(visits).toBeGreaterThanOrEqual(visitsBefore);
    }, 15 * 60_000);
});
