// The lab's data host, deployed by berth (Pulumi.local.yaml's db and cache):
// PostgreSQL and Redis on the private address with their passwords as
// files, left alone by app deploys, a minor image change on the same volume
// (the interruption measured), a major one refused before the server is
// touched, and the data through destroy and up.
import { backupNow, readBackups, restore } from "../../cli/backups";
import { deploy } from "../../cli/deploy";
import { EventLog, onlySpan, stepSpans } from "./support/engine";
import { httpRequest } from "./support/http";
import { containerIdsOn, createLabStack, LabStack, labS3, labS3List, labS3Up, onLabHost, sampleThroughNginx, setSampleTag, stateWithoutSecrets, takeOverLab, tearDownLab } from "./support/lab";

const DATABASE_PASSWORD = "sample-lab-password";
const CACHE_PASSWORD = "lab-cache:p@ss/w%rd";

/** The visit counter the sample's page shows (it reads PostgreSQL). */
async function visits(): Promise<number> {
    const page = await sampleThroughNginx("/");
    const match = /<strong id="visits">(\d+)<\/strong>/.exec(page.body);
    if (page.status !== 200 || !match) {
        throw new Error(`no visit counter on the sample page (HTTP ${page.status})`);
    }
    return Number(match[1]);
}

/** Polls the sample's page (a database read) every 100 ms until stopped: when it failed, and for how long. */
function probeSite() {
    const failures: number[] = [];
    let requests = 0;
    let running = true;
    const loop = (async () => {
        while (running) {
            const sent = Date.now();
            const ok = await httpRequest("http://127.0.0.1:8080/", { host: "sample.localhost" }).then((page) => page.status === 200, () => false);
            requests++;
            if (!ok) {
                failures.push(sent);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    })();
    return {
        async stop() {
            running = false;
            await loop;
            const windowMs = failures.length === 0 ? 0 : failures[failures.length - 1] - failures[0] + 100;
            return { requests, failed: failures.length, windowMs };
        },
    };
}

/** Exact row counts of the sample's tables, and of Django's migrations. */
const rowCounts = async () => (await onLabHost("data-1",
    "docker exec accessory_db psql -U sample -d sample -Atc 'select (select count(*) from counter_visit), (select count(*) from counter_counter), (select count(*) from django_migrations)'")).trim();

const redis = (command: string) => onLabHost("data-1", `docker exec -e REDISCLI_AUTH='${CACHE_PASSWORD}' accessory_cache redis-cli --no-auth-warning ${command}`);

describe("accessories on the lab's data host", () => {
    let lab: LabStack;

    beforeAll(async () => {
        await takeOverLab();
        lab = await createLabStack();
        await setSampleTag(lab, "v1");
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "v1.0.0" }, true);
        // Backups copied to the lab's S3 server, as production copies them to Spaces.
        await labS3Up();
        await lab.stack.setConfig("berth:accessories[0].backups.bucket.endpoint", { value: labS3.endpoint }, true);
        await lab.stack.setConfig("berth:accessories[0].backups.bucket.name", { value: labS3.bucket }, true);
        await lab.stack.setConfig("berth:accessories[0].backups.bucket.clientImage", { value: "172.30.0.2:5000/berth/rclone:bookworm" }, true);
        await lab.stack.setConfig("berth:secrets.db.BACKUP_ACCESS_KEY_ID", { value: labS3.accessKey, secret: true }, true);
        await lab.stack.setConfig("berth:secrets.db.BACKUP_SECRET_ACCESS_KEY", { value: labS3.secretKey, secret: true }, true);
    }, 30 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("deploys PostgreSQL and Redis before the app, on the private address only, with their passwords in files", async () => {
        const log = new EventLog();
        const up = await lab.stack.up({ onEvent: log.onEvent });
        expect(up.summary.result).toBe("succeeded");
        const spans = stepSpans(log);
        const database = onlySpan(spans, "db-container", "create");
        for (const host of ["web-1", "web-2", "worker-1"]) {
            expect(database.end).toBeLessThan(onlySpan(spans, `sample-env-file-${host}`, "create").start);
        }
        expect(up.outputs.accessories.value).toEqual({
            db: { type: "postgres", image: "172.30.0.2:5000/berth/postgres:15", host: "data-1", address: "172.30.0.15", port: 5432 },
            cache: { type: "redis", image: "172.30.0.2:5000/berth/redis:7", host: "data-1", address: "172.30.0.15", port: 6379 },
        });

        // Listening on the data host's private address, not on its loopback; reachable from an app host.
        const listening = await onLabHost("data-1", "docker ps --format '{{.Names}} {{.Ports}}' | sort");
        expect(listening.trim().split("\n")).toEqual(["accessory_cache 172.30.0.15:6379->6379/tcp", "accessory_db 172.30.0.15:5432->5432/tcp"]);
        expect((await onLabHost("data-1", "for port in 5432 6379; do timeout 3 bash -c \"</dev/tcp/127.0.0.1/$port\" 2>/dev/null && echo open || echo closed; done")).trim()).toBe("closed\nclosed");
        expect((await onLabHost("web-1", "for port in 5432 6379; do timeout 3 bash -c \"</dev/tcp/172.30.0.15/$port\" && echo open; done")).trim()).toBe("open\nopen");

        // Redis asks for its password; the sample's celery (through a URL-encoded password) counts ticks.
        expect((await onLabHost("data-1", "docker exec accessory_cache redis-cli ping")).trim()).toMatch(/^NOAUTH/);
        expect((await redis("ping")).trim()).toBe("PONG");
        expect((await redis("config get appendonly")).trim().split("\n")).toEqual(["appendonly", "yes"]);

        // The passwords: files of the accessories (0644 inside a root-only directory), the app's 0600 env file, and nowhere in plain state.
        expect((await onLabHost("data-1", "stat -c '%a %n' /srv/berth/accessories/db /srv/berth/accessories/db/secrets/PASSWORD; docker inspect --format '{{json .Config.Env}}' accessory_db")).trim().split("\n")).toEqual([
            "700 /srv/berth/accessories/db",
            "644 /srv/berth/accessories/db/secrets/PASSWORD",
            expect.stringContaining('"POSTGRES_PASSWORD_FILE=/run/secrets/PASSWORD"'),
        ]);
        expect((await onLabHost("data-1", "docker inspect --format '{{json .Config.Env}}' accessory_db")).includes(DATABASE_PASSWORD)).toBe(false);
        expect((await onLabHost("web-1", "stat -c %a /srv/berth/sample/env; grep -c '^DATABASE_PASSWORD=sample-lab-password$' /srv/berth/sample/env")).trim()).toBe("600\n1");
        const state = await stateWithoutSecrets(lab.stack);
        expect([state.includes(DATABASE_PASSWORD), state.includes(encodeURIComponent(CACHE_PASSWORD))]).toEqual([false, false]);

        expect((await sampleThroughNginx("/visits", "POST")).status).toBe(201);
    }, 15 * 60_000);

    it("leaves the accessories alone when the app's image changes", async () => {
        const before = await containerIdsOn("data-1");
        await setSampleTag(lab, "v2");
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");
        expect(await containerIdsOn("data-1")).toEqual(before);
    }, 15 * 60_000);

    it("replaces PostgreSQL on its volume for a minor image change, health-gated, the data kept", async () => {
        const before = await containerIdsOn("data-1");
        const count = await visits();
        await lab.stack.setConfig("berth:accessories[0].image", { value: "172.30.0.2:5000/berth/postgres:15-rebuild" }, true);
        const probe = probeSite();
        const log = new EventLog();
        const up = await lab.stack.up({ onEvent: log.onEvent });
        const seen = await probe.stop();
        expect(up.summary.result).toBe("succeeded");
        const after = await containerIdsOn("data-1");
        expect(after.find((line) => line.startsWith("accessory_db "))).not.toEqual(before.find((line) => line.startsWith("accessory_db ")));
        expect(after.find((line) => line.startsWith("accessory_cache "))).toEqual(before.find((line) => line.startsWith("accessory_cache ")));
        expect((await onLabHost("data-1", "docker inspect --format '{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}{{.State.Health.Status}}' accessory_db")).trim()).toBe("berth-db-data healthy");
        expect(await visits()).toBe(count);
        console.log(`PostgreSQL minor image change: ${seen.failed} of ${seen.requests} page requests failed, over ${seen.windowMs} ms`);
        // Delete before replace: one server on the data directory at a time.
        const spans = stepSpans(log);
        expect(spans.filter((span) => span.name === "db-container" && span.op !== "same").map((span) => span.op)).toEqual(["delete-replaced", "replace", "create-replacement"]);
    }, 15 * 60_000);

    it("refuses a major version change before the running server is touched", async () => {
        // A volume holding another major version's data directory, as PostgreSQL 14 would have left it.
        await onLabHost("data-1", "docker volume create berth-old-data >/dev/null && docker run --rm -v berth-old-data:/d --entrypoint sh 172.30.0.2:5000/berth/postgres:15 -c 'echo 14 > /d/PG_VERSION'");
        const before = await containerIdsOn("data-1");
        await lab.stack.setConfig("berth:accessories[0].volume", { value: "berth-old-data" }, true);
        try {
            await expect(lab.stack.up({ onEvent: new EventLog().onEvent })).rejects.toThrow(/its volume berth-old-data holds PostgreSQL 14 data, and 172\.30\.0\.2:5000\/berth\/postgres:15-rebuild is PostgreSQL 15/);
            expect(await containerIdsOn("data-1")).toEqual(before);
            expect((await sampleThroughNginx("/")).status).toBe(200);
        } finally {
            await lab.stack.removeConfig("berth:accessories[0].volume", true);
        }
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");
        expect(await containerIdsOn("data-1")).toEqual(before);
    }, 15 * 60_000);

    it("keeps the data of both through pulumi destroy and up", async () => {
        const count = await visits();
        await redis("set berth-test kept");
        const destroyed = await lab.stack.destroy({ onEvent: new EventLog().onEvent });
        expect(destroyed.summary.result).toBe("succeeded");
        expect(await containerIdsOn("data-1")).toEqual([]);
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");
        expect(await visits()).toBe(count);
        expect((await redis("get berth-test")).trim()).toBe("kept");
    }, 15 * 60_000);

    it("backs up, and restores into a wiped volume row for row, the apps stopped around it", async () => {
        for (let visit = 0; visit < 3; visit++) {
            expect((await sampleThroughNginx("/visits", "POST")).status).toBe(201);
        }
        const before = await rowCounts();
        const count = await visits();
        const log: string[] = [];
        const backupStarted = Date.now();
        const [made] = await backupNow(lab.stack, "db", (line) => log.push(line));
        const backupSeconds = (Date.now() - backupStarted) / 1000;
        expect((await readBackups(lab.stack, undefined)).map((record) => record.file)).toContain(made.file);
        expect((await onLabHost("data-1", `stat -c '%a %U' /srv/berth/accessories/db/backups/${made.file}`)).trim()).toBe("600 root");
        // The copy in the bucket, byte for byte as big; its keys are in no container's environment, and not in the database server's secrets.
        expect((await labS3List(`db/${made.file}`)).trim()).toMatch(new RegExp(`^\\s*${made.bytes} .* ${made.file.replace(/\./g, "\\.")}$`));
        expect((await onLabHost("data-1", "ls /srv/berth/accessories/db/secrets; stat -c %a /srv/berth/accessories/db/backup-upload.env")).trim().split("\n")).toEqual(["PASSWORD", "600"]);

        // A lost disk: the server and its volume gone. berth deploy sees the drift and starts the server again, on an empty volume.
        await onLabHost("data-1", "docker rm -f accessory_db >/dev/null && docker volume rm berth-db-data >/dev/null");
        const deployed = await deploy(lab.stack, { log: (line) => log.push(line) });
        expect(deployed.result).toBe("succeeded");
        expect(log.join("\n")).toContain("db accessory@data-1");
        expect((await onLabHost("data-1", "docker exec accessory_db psql -U sample -d sample -Atc \"select count(*) from pg_tables where schemaname = 'public'\"")).trim()).toBe("0");

        const restored = await restore(lab.stack, "db", made.file, (line) => log.push(line));
        expect(await rowCounts()).toBe(before);
        expect(await visits()).toBe(count);
        expect(log).toEqual(expect.arrayContaining([`restored ${made.file} into db (database sample)`, "stopped sample on web-1 (1 container)", "started 1 container on web-1 again"]));
        console.log(`backup of the lab's database: ${made.bytes} bytes in ${backupSeconds.toFixed(1)} s (berth backup); restore with the apps stopped around it: ${restored.seconds.toFixed(1)} s (berth restore); rows ${before}`);
    }, 15 * 60_000);
});
