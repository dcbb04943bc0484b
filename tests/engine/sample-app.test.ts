// The sample app berth deploys in its lab, run for real with Docker alone (no
// Pulumi): the lab's PostgreSQL and Redis images, the app image, and a host
// volume laid out by berth's own renderers and shell commands. Proves the
// image contract (entrypoint commands, env file, uWSGI ini, code checkout in
// the volume) and the fast path: a new code ref served without a restart.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appLayout, AppLayout } from "../../components/render/layout";
import { renderEnvFile } from "../../components/render/envFile";
import { renderUwsgiIni } from "../../components/render/uwsgi";
import { fetchRelease, prepareAppRoot, releaseDirectory, restartRoleUnlessStartedAfterSwitch, switchReleaseAndReload } from "../../components/shell/commands";
import { buildImage, removeContainers, removeImages } from "./support/docker";
import { containerLogs, createNetwork, Exit, inspectContainer, removeNetworks, runForExit, waitFor, waitUntilHealthy } from "./support/containers";
import { httpRequest } from "./support/http";
import { freePort } from "./support/network";
import { run } from "./support/processes";
import { repositoryRoot } from "./support/repository";

const sampleApp = join(repositoryRoot, "examples/sample-app");
const runId = `${process.pid}-${Date.now().toString(36)}`;

const images = {
    postgres: `berth-test-postgres:${runId}`,
    redis: `berth-test-redis:${runId}`,
    sample: `berth-test-sample:${runId}-v1`,
    broken: `berth-test-sample:${runId}-broken`,
};
const names = {
    network: `berth-sample-test-${runId}`,
    postgres: `berth-sample-test-${runId}-postgres`,
    redis: `berth-sample-test-${runId}-redis`,
    web: `berth-sample-test-${runId}-web`,
    worker: `berth-sample-test-${runId}-worker`,
    beat: `berth-sample-test-${runId}-beat`,
    broken: `berth-sample-test-${runId}-broken`,
    task: `berth-sample-test-${runId}-task`,
};
const imageTag = "v1";
const newHeading = "v1.1.0 — now with a new heading";
// Quotes, a dollar and spaces: the env file must carry it through `. file` unchanged.
const secretKey = `it's a $ecret "${randomBytes(12).toString("hex")}" key`;
const databasePassword = randomBytes(12).toString("hex");
const healthCommand = `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"`;

let scratch: string;
let repository: string;
let layout: AppLayout;
let webPort: number;
let brokenPort: number;

/** The six variables berth gives every container of the app. */
function berthEnvironment(host: string): Record<string, string> {
    return {
        BERTH_APP: "sample",
        BERTH_CODE_DIR: layout.code,
        BERTH_ENV_FILE: layout.envFile,
        BERTH_HOST: host,
        BERTH_IMAGE_TAG: imageTag,
        BERTH_UWSGI_INI: layout.uwsgiIni,
    };
}

/** `docker run` options shared by every app container: network, host volume (same path inside), env. */
function appContainerOptions(host: string, overrides: Record<string, string> = {}): string[] {
    const options = ["--network", names.network, "--volume", `${layout.root}:${layout.root}`];
    for (const [key, value] of Object.entries({ ...berthEnvironment(host), ...overrides })) {
        options.push("--env", `${key}=${value}`);
    }
    return options;
}

/**
 * Runs one of the image's commands once, as berth's release step does, and
 * returns how it ended. Like berth, it points BERTH_CODE_DIR at the new
 * release's checkout, before any code link has moved to it.
 */
function oneShot(command: string[], options: { codeDirectory?: string } = {}): Promise<Exit> {
    const overrides: Record<string, string> = options.codeDirectory ? { BERTH_CODE_DIR: options.codeDirectory } : {};
    return runForExit("docker", ["run", "--rm", "--name", names.task, ...appContainerOptions("web-1", overrides), images.sample, ...command]);
}

function startContainer(name: string, host: string, command: string, extra: string[] = []): Promise<string> {
    return run("docker", ["run", "--detach", "--name", name, ...appContainerOptions(host), ...extra, images.sample, command]);
}

/** Runs one of berth's host shell scripts here, as its remote commands run them on a host. */
function hostScript(script: string): Promise<string> {
    return run("sh", ["-c", script]);
}

function url(path: string, port = webPort): string {
    return `http://127.0.0.1:${port}${path}`;
}

function explain(exit: Exit): string {
    return `exit ${exit.code}\n${exit.stdout}\n${exit.stderr}`;
}

function tickCounter(page: string): number {
    const match = /id="ticks">(\d+)</.exec(page);
    if (!match) {
        throw new Error(`no tick counter in the page:\n${page}`);
    }
    return Number(match[1]);
}

describe("the sample app under the image contract", () => {
    beforeAll(async () => {
        await Promise.all([
            buildImage(images.postgres, join(repositoryRoot, "lab/images/postgres")),
            buildImage(images.redis, join(repositoryRoot, "lab/images/redis")),
            buildImage(images.sample, join(sampleApp, "image"), { VERSION: imageTag }),
        ]);
        // Same layers but the last: a release whose /healthz always fails.
        await buildImage(images.broken, join(sampleApp, "image"), { VERSION: imageTag, BREAK_HEALTHZ: "1" });

        scratch = await mkdtemp(join(tmpdir(), "berth-sample-test-"));
        repository = join(scratch, "sample.git");
        await run("sh", [join(sampleApp, "make-repo.sh"), repository]);

        await createNetwork(names.network);
        await run("docker", [
            "run", "--detach", "--name", names.postgres, "--network", names.network,
            "--env", "POSTGRES_USER=sample", "--env", `POSTGRES_PASSWORD=${databasePassword}`, "--env", "POSTGRES_DB=sample",
            images.postgres,
        ]);
        await run("docker", ["run", "--detach", "--name", names.redis, "--network", names.network, images.redis]);

        // The host volume, as berth lays it out on a host. It is mounted at the
        // same path inside the containers, so berth's absolute `code` link and
        // the ini's paths mean the same thing on both sides.
        layout = appLayout("sample", join(scratch, "srv/berth/sample"));
        await mkdir(layout.root, { recursive: true });
        await hostScript(prepareAppRoot(layout));
        await writeFile(
            layout.envFile,
            renderEnvFile({
                DJANGO_SETTINGS_MODULE: "sample.settings",
                SECRET_KEY: secretKey,
                DATABASE_HOST: names.postgres,
                DATABASE_NAME: "sample",
                DATABASE_USER: "sample",
                DATABASE_PASSWORD: databasePassword,
                CELERY_BROKER_URL: `redis://${names.redis}:6379/0`,
                BERTH_STATIC_DIR: layout.staticFiles,
            }),
            { mode: 0o600 },
        );
        await chmod(layout.envFile, 0o600);
        await writeFile(
            layout.uwsgiIni,
            renderUwsgiIni({
                appName: "sample",
                httpPort: 8000,
                codeDirectory: layout.code,
                wsgiModule: "sample.wsgi:application",
                processes: 2,
                threads: 2,
                reload: "touch",
                iniPath: layout.uwsgiIni,
                readyPath: layout.uwsgiReady,
                fifoPath: layout.uwsgiFifo,
                statsPath: layout.uwsgiStats,
                harakiriSeconds: 60,
                staticDirectory: layout.staticFiles,
            }),
        );
        // The first release is checked out; the code link comes after its release tasks.
        await hostScript(fetchRelease(layout, repository, "v1.0.0", []));

        webPort = await freePort();
        brokenPort = await freePort();
        await waitUntilHealthy(names.postgres, 120_000);
        await waitUntilHealthy(names.redis, 60_000);
    }, 900_000);

    afterAll(async () => {
        await removeContainers(...Object.values(names).filter((name) => name !== names.network));
        await removeNetworks(names.network);
        await removeImages(...Object.values(images));
        if (scratch) {
            await rm(scratch, { recursive: true, force: true });
        }
    }, 300_000);

    it("lays out the host volume like berth: a 0600 env file, a release checkout with REF and REVISION", async () => {
        const release = releaseDirectory(layout, "v1.0.0");
        expect(await readFile(join(release, "REF"), "utf8")).toBe("v1.0.0\n");
        const revision = (await run("git", ["-C", repository, "rev-parse", "v1.0.0^{commit}"])).trim();
        expect((await readFile(join(release, "REVISION"), "utf8")).trim()).toBe(revision);
        expect((await run("stat", ["-c", "%a", layout.envFile])).trim()).toBe("600");
        // The repository: main at v1.1.0, the bad release only a tag.
        expect((await run("git", ["-C", repository, "describe", "--tags", "main"])).trim()).toBe("v1.1.0");
        expect((await run("git", ["-C", repository, "tag"])).trim().split("\n")).toEqual(["v1.0.0", "v1.1.0", "v1.2.0-bad-migration"]);
    });

    it("refuses an unknown command with exit code 2 and lists the commands", async () => {
        const exit = await runForExit("docker", ["run", "--rm", images.sample, "deploy-everything"]);
        expect(exit.code).toBe(2);
        expect(exit.stderr).toContain("unknown command 'deploy-everything'");
        expect(exit.stderr).toMatch(/run\|migrate\|collectstatic\|worker\|beat\|manage/);
    }, 60_000);

    it("runs the release tasks migrate and collectstatic as one-shot containers", async () => {
        const codeDirectory = releaseDirectory(layout, "v1.0.0");
        const migrate = await oneShot(["migrate"], { codeDirectory });
        expect(explain(migrate)).toMatch(/^exit 0\n/);
        expect(migrate.stdout).toContain("Applying counter.0001_initial... OK");

        const collectstatic = await oneShot(["collectstatic"], { codeDirectory });
        expect(explain(collectstatic)).toMatch(/^exit 0\n/);
        const source = await readFile(join(sampleApp, "code/counter/static/counter/style.css"), "utf8");
        expect(await readFile(join(layout.staticFiles, "counter/style.css"), "utf8")).toBe(source);

        // The secret went through berth's env file and the entrypoint's `set -a; .` unchanged.
        const shell = await oneShot(["manage", "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"], { codeDirectory });
        expect(explain(shell)).toMatch(/^exit 0\n/);
        expect(shell.stdout).toBe(`${secretKey}\n`);
    }, 180_000);

    it("serves the app under uWSGI with worker and beat running beside it", async () => {
        await hostScript(switchReleaseAndReload(layout, "v1.0.0", { appName: names.network, runtimes: [layout.runtime] }, 30));
        expect((await run("readlink", [layout.code])).trim()).toBe(releaseDirectory(layout, "v1.0.0"));
        await startContainer(names.web, "web-1", "run", [
            // What berth's code switch finds the running web container by.
            "--label", `berth.app=${names.network}`, "--label", "berth.role=web",
            "--publish", `127.0.0.1:${webPort}:8000`,
            "--health-cmd", healthCommand, "--health-interval", "1s", "--health-timeout", "3s", "--health-retries", "3",
        ]);
        // Labelled as berth labels them: the code path's restart finds the worker by them.
        await startContainer(names.worker, "worker-1", "worker", ["--label", `berth.app=${names.network}`, "--label", "berth.role=worker"]);
        await startContainer(names.beat, "worker-1", "beat");
        // Docker's own health check, run inside the container, passes.
        await waitUntilHealthy(names.web, 90_000);

        const health = await httpRequest(url("/healthz"));
        expect(health).toMatchObject({ status: 200, body: "ok\n" });
        expect(health.headers["x-served-by"]).toBe("web-1");

        const page = await httpRequest(url("/"));
        expect(page.status).toBe(200);
        expect(page.headers["x-served-by"]).toBe("web-1");
        expect(page.body).toContain("<h1>Sample app</h1>");
        expect(tickCounter(page.body)).toBeGreaterThanOrEqual(0);
        expect(page.body).toContain('<link rel="stylesheet" href="/static/counter/style.css">');
        expect(page.body).toContain('<dd id="code-ref">v1.0.0</dd>');
        expect(page.body).toContain(`<dd id="image-tag">${imageTag}</dd>`);

        const revision = (await run("git", ["-C", repository, "rev-parse", "v1.0.0^{commit}"])).trim();
        const version = await httpRequest(url("/version"));
        expect(version.status).toBe(200);
        expect(version.headers["content-type"]).toBe("application/json");
        expect(JSON.parse(version.body)).toEqual({ image_tag: imageTag, code_ref: "v1.0.0", revision, host: "web-1", scheme: "http" });

        const visit = await httpRequest(url("/visits"), { method: "POST" });
        expect(visit.status).toBe(201);
        expect(JSON.parse(visit.body)).toEqual({ id: expect.any(Number), visits: expect.any(Number) });
        expect((await httpRequest(url("/visits"))).status).toBe(405);
        expect((await httpRequest(url("/"))).body).toMatch(/id="visits">[1-9]\d*</);

        // An unknown path is Django's 404, still naming the host.
        const missing = await httpRequest(url("/no-such-page"));
        expect(missing.status).toBe(404);
        expect(missing.headers["x-served-by"]).toBe("web-1");
    }, 180_000);

    it("counts ticks: beat schedules counter.tasks.tick every 5 s, the worker runs it", async () => {
        const first = tickCounter((await httpRequest(url("/"))).body);
        const later = await waitFor(
            "the tick counter to increase",
            async () => {
                const value = tickCounter((await httpRequest(url("/"))).body);
                return value > first ? value : undefined;
            },
            {
                timeoutMs: 60_000,
                intervalMs: 1_000,
                diagnose: async () => (await containerLogs(names.beat, 20)) + (await containerLogs(names.worker, 40)),
            },
        );
        expect(later).toBeGreaterThan(first);
        // beat keeps its schedule under /tmp in its container (shelve adds a
        // suffix such as .db), never in the code directory.
        const schedule = await runForExit("docker", ["exec", names.beat, "sh", "-c", "ls /tmp/celerybeat-schedule*"]);
        expect(explain(schedule)).toMatch(/^exit 0\n/);
        expect((await readdir(layout.code)).filter((file) => file.startsWith("celerybeat"))).toEqual([]);
    }, 90_000);

    it("takes a new code ref by touch-reload, without restarting the container (the fast path)", async () => {
        const before = await inspectContainer(names.web, "{{.Id}} {{.State.StartedAt}} {{.State.Pid}} {{.RestartCount}}");
        await hostScript(fetchRelease(layout, repository, "v1.1.0", []));
        await hostScript(switchReleaseAndReload(layout, "v1.1.0", { appName: names.network, runtimes: [layout.runtime] }, 30));

        // The switch returns once uWSGI has finished the reload: the very next request runs v1.1.0.
        const page = (await httpRequest(url("/"))).body;
        expect(page).toContain(newHeading);
        expect(page).toContain('<dd id="code-ref">v1.1.0</dd>');
        expect(JSON.parse((await httpRequest(url("/version"))).body)).toMatchObject({ code_ref: "v1.1.0", image_tag: imageTag });
        expect(await inspectContainer(names.web, "{{.Id}} {{.State.StartedAt}} {{.State.Pid}} {{.RestartCount}}")).toBe(before);
        expect((await httpRequest(url("/healthz"))).status).toBe(200);
        // Reloaded in place, once: started through the master FIFO right after the touch.
        const logs = await containerLogs(names.web, 400);
        expect(logs.match(/binary reloading uWSGI/g)).toHaveLength(1);

        // The worker started before the switch runs the old code: it is restarted (warm
        // shutdown). Right after, it started after the switch: left alone.
        const workerStarted = await inspectContainer(names.worker, "{{.State.StartedAt}}");
        const restartWorkers = restartRoleUnlessStartedAfterSwitch(names.network, "worker", 30, layout.code, images.sample);
        await hostScript(restartWorkers);
        const restartedAt = await inspectContainer(names.worker, "{{.State.StartedAt}}");
        expect(restartedAt).not.toBe(workerStarted);
        expect(await hostScript(restartWorkers)).toContain("already runs this release");
        // One on another image is the deploy's to replace: not restarted.
        expect(await hostScript(restartRoleUnlessStartedAfterSwitch(names.network, "worker", 30, layout.code, images.broken))).toContain("runs another image");
        expect(await inspectContainer(names.worker, "{{.State.StartedAt}}")).toBe(restartedAt);
    }, 90_000);

    it("fails the release of v1.2.0-bad-migration: migrate exits non-zero and changes nothing", async () => {
        await hostScript(fetchRelease(layout, repository, "v1.2.0-bad-migration", []));
        const codeDirectory = releaseDirectory(layout, "v1.2.0-bad-migration");
        const migrate = await oneShot(["migrate"], { codeDirectory });
        expect(migrate.code).not.toBe(0);
        expect(migrate.stderr).toContain("this migration fails on purpose");

        // The migration ran in a transaction: nothing of it was recorded.
        const migrations = await oneShot(["manage", "showmigrations", "counter"], { codeDirectory });
        expect(explain(migrations)).toMatch(/^exit 0\n/);
        expect(migrations.stdout).toContain("[X] 0001_initial");
        expect(migrations.stdout).toContain("[ ] 0002_fail_on_purpose");
        // The running release is untouched.
        expect((await run("readlink", [layout.code])).trim()).toBe(releaseDirectory(layout, "v1.1.0"));
        expect((await httpRequest(url("/healthz"))).status).toBe(200);
    }, 120_000);

    it("builds a deliberately broken image with BREAK_HEALTHZ=1: /healthz answers 503", async () => {
        await run("docker", [
            "run", "--detach", "--name", names.broken, ...appContainerOptions("web-2"),
            "--publish", `127.0.0.1:${brokenPort}:8000`,
            "--health-cmd", healthCommand, "--health-interval", "1s", "--health-timeout", "3s", "--health-retries", "2",
            images.broken, "run",
        ]);
        const health = await waitFor("the broken release to answer", async () => httpRequest(url("/healthz", brokenPort)), {
            timeoutMs: 60_000,
            diagnose: () => containerLogs(names.broken),
        });
        expect(health.status).toBe(503);
        expect(health.headers["x-served-by"]).toBe("web-2");
        expect((await httpRequest(url("/version", brokenPort))).status).toBe(200);
        await waitFor(
            "Docker to mark the broken release unhealthy",
            async () => ((await inspectContainer(names.broken, "{{.State.Health.Status}}")) === "unhealthy" ? true : undefined),
            { timeoutMs: 30_000 },
        );
    }, 120_000);

    it("stops gracefully on SIGTERM: uWSGI kills its workers gently, celery does its warm shutdown", async () => {
        const started = Date.now();
        await run("docker", ["stop", "--time", "30", names.web]);
        // Well within the grace period: nothing waited for the SIGKILL.
        expect(Date.now() - started).toBeLessThan(20_000);
        const webLogs = await containerLogs(names.web, 30);
        expect(webLogs).toContain("graceful shutdown triggered");
        expect(webLogs).toContain("goodbye to uWSGI");

        await run("docker", ["stop", "--time", "30", names.worker]);
        expect(await inspectContainer(names.worker, "{{.State.ExitCode}}")).toBe("0");
        expect(await containerLogs(names.worker, 20)).toContain("Warm shutdown");
    }, 90_000);
});
