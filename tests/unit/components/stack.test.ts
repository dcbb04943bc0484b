import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppSpec, ConfigError, validateConfig } from "../../../components/config";
import { containerReplacementSteps, rolloutNames } from "../../../components/rollout/names";
import { planRollout, RolloutStep } from "../../../components/rollout/plan";
import { deployStack, readStackConfig } from "../../../stacks";
import { temporaryDirectory } from "../../support/files";
import { isSecret, MOCKED_RUN_TIMEOUT_MS, RecordedProgram, recordProgram, sharedRuns, mockHostKey, mockHostKeyScanner } from "../../support/pulumiMocks";

// Whole-program runs under mocks: slow on a loaded machine, so bounded generously (see MOCKED_RUN_TIMEOUT_MS).
jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

const keyDirectory = temporaryDirectory("keys");
const sshKeyPath = join(keyDirectory, "id_ed25519");
writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");

const SECRET_KEY = "django-secret-that-must-stay-secret";

function labConfig(overrides: { tag?: string; ref?: string; swap?: string; processes?: number; apps?: unknown[] } = {}): Record<string, unknown> {
    const sample = {
        name: "sample",
        domain: "sample.localhost",
        image: { repository: "172.30.0.2:5000/berth/sample", tag: overrides.tag ?? "v1" },
        code: { repository: "http://172.30.0.2:8081/sample.git", ref: overrides.ref ?? "v1.0.0" },
        webPort: 8001,
        ...(overrides.swap ? { swap: overrides.swap } : {}),
        ...(overrides.processes ? { processes: overrides.processes } : {}),
        hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] },
        env: { DJANGO_SETTINGS_MODULE: "sample.settings" },
    };
    return {
        "berth:sshKeyPath": sshKeyPath,
        "berth:hosts": [
            { name: "web-1", address: "127.0.0.1", sshPort: 2201, privateAddress: "172.30.0.11", roles: ["web"] },
            { name: "web-2", address: "127.0.0.1", sshPort: 2202, privateAddress: "172.30.0.12", roles: ["web"] },
            { name: "worker-1", address: "127.0.0.1", sshPort: 2203, privateAddress: "172.30.0.13", roles: ["worker", "beat"] },
            { name: "lb-1", address: "127.0.0.1", sshPort: 2204, privateAddress: "172.30.0.14", roles: ["loadbalancer"] },
        ],
        "berth:loadBalancer": { host: "lb-1", publicPort: 8080 },
        "berth:apps": overrides.apps ?? [sample],
        // Secrets only for configured apps: a secret for an app that does not exist is an error.
        "berth:secrets": overrides.apps ? {} : { sample: { SECRET_KEY } },
    };
}

/** The program's run for a config; one run per distinct config, shared by every test that inspects it. */
const deploy = sharedRuns(async (config: Record<string, unknown>): Promise<RecordedProgram> => {
    const { recorded } = await recordProgram(config, ["berth:secrets"], () => deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner }));
    return recorded;
});

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const REMOTE_COMMAND = "command:remote:Command";

describe("the berth program under mocks", () => {
    let lab: RecordedProgram;
    beforeAll(async () => {
        lab = await deploy(labConfig());
    });

    it("creates hosts, nginx and the app's parts with names derived from the app", () => {
        expect(lab.ofType("berth:index:Host").map((host) => host.name)).toEqual(["web-1", "web-2", "worker-1", "lb-1"]);
        expect(lab.ofType("pulumi:providers:docker").map((provider) => provider.inputs.host)).toEqual([
            "ssh://root@127.0.0.1:2201", "ssh://root@127.0.0.1:2202", "ssh://root@127.0.0.1:2203", "ssh://root@127.0.0.1:2204",
        ]);
        expect(lab.ofType(CONTAINER).map((container) => [container.name, container.inputs.name]).sort()).toEqual([
            ["nginx-nginx", "berth-nginx"],
            ["sample-beat-worker-1", "sample-beat"],
            // Web and worker containers get the provider's generated name: the new one runs beside the old.
            ["sample-web-web-1", undefined],
            ["sample-web-web-2", undefined],
            ["sample-worker-worker-1", undefined],
        ]);
        // The image is pulled on every host of the app, never on the internet-facing load balancer.
        expect(lab.ofType(IMAGE).map((image) => [image.name, image.inputs.name, image.inputs.keepLocally]).sort()).toEqual([
            ["nginx-image", "nginx:1.27-bookworm", true],
            ["sample-image-web-1", "172.30.0.2:5000/berth/sample:v1", true],
            ["sample-image-web-2", "172.30.0.2:5000/berth/sample:v1", true],
            ["sample-image-worker-1", "172.30.0.2:5000/berth/sample:v1", true],
        ]);
    });

    it("verifies every connection against the host's key, on both transports", () => {
        for (const host of ["web-1", "web-2", "worker-1", "lb-1"]) {
            const port = { "web-1": 2201, "web-2": 2202, "worker-1": 2203, "lb-1": 2204 }[host];
            const key = mockHostKey(`127.0.0.1:${port}`);
            // Provider inputs travel as JSON text.
            const sshOpts: string[] = JSON.parse(lab.named(`${host}-docker`).inputs.sshOpts);
            expect(sshOpts).toEqual(expect.arrayContaining(["StrictHostKeyChecking=yes", "UserKnownHostsFile=/dev/null", `KnownHostsCommand=/bin/echo [127.0.0.1]:${port} ${key}`]));
            expect(sshOpts.join(" ")).not.toContain("StrictHostKeyChecking=no");
        }
        for (const host of ["web-1", "web-2", "worker-1"]) {
            const port = { "web-1": 2201, "web-2": 2202, "worker-1": 2203 }[host];
            expect(lab.named(`sample-volume-${host}`).inputs.connection.hostKey).toBe(mockHostKey(`127.0.0.1:${port}`));
        }
        expect(lab.named("nginx-files").inputs.connection.hostKey).toBe(mockHostKey("127.0.0.1:2204"));
        // What an older berth left there for the app (its env file among it) is removed.
        expect(lab.named("nginx-files").inputs.create).toContain("rm -rf -- /srv/berth/sample &&");
        for (const command of lab.ofType(REMOTE_COMMAND)) {
            expect([command.name, typeof command.inputs.connection.hostKey]).toEqual([command.name, "string"]);
        }
    });

    it("gives web containers a health gate, a grace period, rotated logs and limits", () => {
        const web = lab.named("sample-web-web-1").inputs;
        expect(web).toMatchObject({
            image: "172.30.0.2:5000/berth/sample:v1",
            command: ["run"],
            ports: [{ internal: 8000, external: 8001, ip: "172.30.0.11" }],
            // The host volume read-only; only uWSGI's runtime directory writable, one per port.
            volumes: [
                { hostPath: "/srv/berth/sample", containerPath: "/srv/berth/sample", readOnly: true },
                { hostPath: "/srv/berth/sample/run/web-8001", containerPath: "/srv/berth/sample/run", readOnly: false },
            ],
            healthcheck: {
                // With the app's domain as Host: ALLOWED_HOSTS may list only it.
                tests: ["CMD", "python3", "-c", 'import urllib.request; urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:8000/healthz", headers={"Host": "sample.localhost"}), timeout=2)'],
                interval: "2s", timeout: "3s", retries: 3, startPeriod: "2s",
            },
            wait: true,
            waitTimeout: 60,
            destroyGraceSeconds: 30,
            restart: "unless-stopped",
            memory: 512,
            memorySwap: 512,
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "5" },
        });
        expect(web.envs).toEqual([
            "BERTH_APP=sample", "BERTH_CODE_DIR=/srv/berth/sample/code", "BERTH_ENV_FILE=/srv/berth/sample/env",
            "BERTH_HOST=web-1", "BERTH_IMAGE_TAG=v1", "BERTH_STATIC_DIR=/srv/berth/sample/static", "BERTH_UWSGI_INI=/srv/berth/sample/uwsgi.ini",
        ]);
        expect(web.user).toBeUndefined();
        expect(lab.named("sample-worker-worker-1").inputs.command).toEqual(["worker"]);
        // workerConcurrency reaches the worker, and only the worker.
        expect(lab.named("sample-worker-worker-1").inputs.envs).toContain("BERTH_WORKER_CONCURRENCY=2");
        expect(lab.named("sample-beat-worker-1").inputs.envs.join(" ")).not.toContain("BERTH_WORKER_CONCURRENCY");
        expect(lab.named("sample-beat-worker-1").inputs.command).toEqual(["beat"]);
    });

    it("delivers secrets only through a 0600 env file's standard input", () => {
        const envFiles = lab.ofType(REMOTE_COMMAND).filter((command) => command.name.startsWith("sample-env-file-"));
        expect(envFiles.map((command) => command.name).sort()).toEqual([
            "sample-env-file-web-1", "sample-env-file-web-2", "sample-env-file-worker-1",
        ]);
        for (const envFile of envFiles) {
            // Root-only, after checking that the image's USER is root (no berth:apps[].user).
            expect(envFile.inputs.create).toContain("user=$(docker image inspect --format '{{.Config.User}}' 172.30.0.2:5000/berth/sample:v1)");
            expect(envFile.inputs.create).toMatch(/\numask 077 && cat > \/srv\/berth\/sample\/env.berth-tmp && chmod 0600 \/srv\/berth\/sample\/env.berth-tmp && mv -f \/srv\/berth\/sample\/env.berth-tmp \/srv\/berth\/sample\/env$/);
            expect(envFile.inputs.stdin).toBe(`DJANGO_SETTINGS_MODULE=sample.settings\nSECRET_KEY=${SECRET_KEY}\n`);
            expect([envFile.name, isSecret(envFile.wireInputs.stdin)]).toEqual([envFile.name, true]);
        }
        // Nowhere else: not in a command line, a container input or a label, and nothing of
        // the app on the internet-facing load balancer (nginx proxies /static/ to the web hosts).
        expect(lab.resources.filter((resource) => resource.name.startsWith("sample-") && resource.name.endsWith("-lb-1"))).toEqual([]);
        const elsewhere = lab.resources.filter((resource) => !resource.name.startsWith("sample-env-file-"));
        expect(JSON.stringify(elsewhere.map((resource) => resource.inputs))).not.toContain(SECRET_KEY);
    });

    it("runs release tasks once, after every pull and checkout, before any web container", () => {
        expect(lab.named("sample-release").inputs.create).toContain("docker run --rm --name sample-release-migrate");
        expect(lab.named("sample-release").inputs.triggers).toEqual(["v1", "v1.0.0"]);
        // collectstatic where its output is read: every web host, whose uWSGI serves it to nginx
        // and whose app reads it (ManifestStaticFilesStorage).
        for (const host of ["web-1", "web-2"]) {
            expect(lab.named(`sample-static-${host}`).inputs.create).toContain("172.30.0.2:5000/berth/sample:v1 collectstatic");
        }
        expect(lab.resources.filter((resource) => resource.name.startsWith("sample-static-")).map((resource) => resource.name).sort())
            .toEqual(["sample-static-web-1", "sample-static-web-2"]);
        for (const host of ["web-1", "web-2", "worker-1"]) {
            expect(lab.waitsFor("sample-release", `sample-image-${host}`)).toBe(true);
            expect(lab.waitsFor("sample-release", `sample-checkout-${host}`)).toBe(true);
        }
        // collectstatic runs beside the release tasks: both need only the new checkout.
        expect(lab.waitsFor("sample-static-web-1", "sample-checkout-web-1")).toBe(true);
        expect(lab.waitsFor("sample-static-web-2", "sample-checkout-web-2")).toBe(true);
        expect(lab.waitsFor("sample-static-web-1", "sample-release")).toBe(false);
        expect(lab.waitsFor("sample-web-clear-web-1", "sample-static-web-1")).toBe(true);
        expect(lab.waitsFor("sample-web-clear-web-1", "sample-static-web-2")).toBe(true);
        expect(lab.waitsFor("sample-web-clear-web-1", "sample-release")).toBe(true);
        expect(lab.waitsFor("sample-web-web-1", "sample-release")).toBe(true);
        expect(lab.waitsFor("sample-release", "sample-web-web-1")).toBe(false);
    });

    it("replaces web hosts one by one, each new container beside the old: code, port, clear, container, health, undrain, retire", () => {
        const chain = [
            "sample-code-web-1", "sample-web-clear-web-1", "sample-web-web-1", "sample-healthy-web-1", "sample-undrain-web-1", "sample-web-retire-web-1",
            "sample-code-web-2", "sample-web-clear-web-2", "sample-web-web-2", "sample-healthy-web-2", "sample-undrain-web-2", "sample-web-retire-web-2",
            "sample-worker-worker-1", "sample-worker-retire-worker-1", "sample-beat-adopt-worker-1", "sample-beat-worker-1",
            "nginx-config",
        ];
        // The code path's switch and restarts on worker-1 run beside web-2's swap, before the new worker.
        for (const step of ["sample-code-worker-1", "sample-worker-restart-worker-1", "sample-beat-restart-worker-1"]) {
            expect([step, lab.waitsFor(step, "sample-web-retire-web-1"), lab.waitsFor(step, "sample-code-web-2"), lab.waitsFor("sample-worker-worker-1", step)]).toEqual([step, true, false, true]);
        }
        for (let index = 1; index < chain.length; index++) {
            expect([chain[index], lab.waitsFor(chain[index], chain[index - 1])]).toEqual([chain[index], true]);
        }
        expect(lab.waitsFor("sample-web-clear-web-1", "sample-web-port-web-1")).toBe(true);
        expect(lab.waitsFor("sample-web-clear-web-2", "sample-web-port-web-2")).toBe(true);
        // No drain: the old container serves until nginx points at the new one.
        expect(lab.resources.filter((resource) => resource.name.startsWith("sample-drain-"))).toEqual([]);
        // Hosts are ordered by dependsOn only: no property of web-2's container comes from web-1's,
        // so replacing web-1 never drags web-2 into the same delete.
        expect(lab.named("sample-web-web-2").dependencies).not.toContain(lab.named("sample-web-web-1").urn);
        // The port nginx does not point at now, read on the load balancer.
        expect(lab.named("sample-web-port-web-1").inputs.connection.port).toBe(2204);
        expect(lab.named("sample-web-port-web-1").inputs.create).toContain("/srv/berth/nginx/nginx.conf");
        expect(lab.named("sample-web-port-web-1").inputs.create).toContain("if [ \"$current\" = 8001 ]; then echo 8002; else echo 8001; fi");
        // Whatever holds the new port is stopped first (a hand-made container is also removed).
        expect(lab.named("sample-web-clear-web-1").inputs.create).toContain("docker ps -q --no-trunc --filter publish=8001");
        expect(lab.named("sample-web-clear-web-1").inputs.create).toContain(`if [ "$labels" != sample/web ]; then`);
        // nginx points at the new container, then the old one stops with its grace.
        expect(lab.named("sample-undrain-web-1").inputs.create).toContain("sed 's/^\\( *\\)server .* # sample@web-1$/\\1server 172.30.0.11:8001 max_fails=1 fail_timeout=5s; # sample@web-1/'");
        const retire = lab.named("sample-web-retire-web-1").inputs.create as string;
        expect(retire).toContain("docker ps -q --no-trunc --filter label=berth.app=sample --filter label=berth.role=web");
        expect(retire).toContain("docker ps -q --no-trunc --filter publish=8002");
        expect(retire).toContain("docker ps -q --no-trunc --filter 'name=^/sample-web$'");
        expect(retire).toContain("docker stop --time 30");
        expect(retire).toContain(`[ "$id" = sample-web-web-1-id ] && continue`);
        expect(lab.named("sample-worker-retire-worker-1").inputs.create).toContain("--filter label=berth.role=worker");
        expect(lab.named("sample-beat-adopt-worker-1").inputs.create).toContain(`if [ "$labels" != sample/beat ]; then`);
        // The code path reloads the running container in place, then its health is checked on its port.
        expect(lab.named("sample-code-web-1").inputs.create).toContain("/srv/berth/sample/run/web-8001/uwsgi.ready /srv/berth/sample/run/web-8002/uwsgi.ready");
        expect(lab.named("sample-healthy-web-1").inputs.create).toContain("http://172.30.0.11:8001/healthz");
    });

    it("drains first and stops the old container before the new one starts with swap: drain-first", async () => {
        const drainFirst = await deploy(labConfig({ swap: "drain-first" }));
        const chain = [
            "sample-code-web-1", "sample-drain-web-1", "sample-web-stop-web-1", "sample-web-web-1", "sample-healthy-web-1", "sample-undrain-web-1",
            "sample-code-web-2", "sample-drain-web-2", "sample-web-stop-web-2", "sample-web-web-2",
        ];
        for (let index = 1; index < chain.length; index++) {
            expect([chain[index], drainFirst.waitsFor(chain[index], chain[index - 1])]).toEqual([chain[index], true]);
        }
        expect(drainFirst.named("sample-drain-web-1").inputs.create).toContain("sed 's/ fail_timeout=5s; # sample@web-1$/ fail_timeout=5s down; # sample@web-1/'");
        const stop = drainFirst.named("sample-web-stop-web-1").inputs.create as string;
        expect(stop).toContain("--filter label=berth.role=web");
        expect(stop).toContain("--filter publish=8001");
        expect(stop).toContain("--filter publish=8002");
        expect(drainFirst.resources.filter((resource) => resource.name.startsWith("sample-web-retire-"))).toEqual([]);
    });

    it("renders nginx with one upstream over the web hosts' private addresses", () => {
        const config = lab.named("nginx-config").inputs.stdin as string;
        expect(config).toContain("upstream berth_sample {\n        server 172.30.0.11:8001 max_fails=1 fail_timeout=5s; # sample@web-1\n        server 172.30.0.12:8001 max_fails=1 fail_timeout=5s; # sample@web-2\n");
        expect(config).toContain("server_name sample.localhost;");
        expect(lab.named("nginx-nginx").inputs.ports).toEqual([{ internal: 80, external: 80 }]);
    });
});

describe("what a change touches", () => {
    const containerInputs = (program: RecordedProgram) =>
        program.ofType(CONTAINER).map((container) => JSON.stringify([container.name, container.inputs]));
    const triggersOf = (program: RecordedProgram, prefix: string) =>
        program.ofType(REMOTE_COMMAND).filter((command) => command.name.startsWith(prefix)).map((command) => JSON.stringify(command.inputs.triggers));

    let lab: RecordedProgram;
    let newRef: RecordedProgram;
    let newTag: RecordedProgram;
    let drainFirst: RecordedProgram;
    let moreProcesses: RecordedProgram;
    beforeAll(async () => {
        lab = await deploy(labConfig({ tag: "v1", ref: "v1.0.0" })); // the defaults: shares the run above
        newRef = await deploy(labConfig({ ref: "v1.1.0" }));
        newTag = await deploy(labConfig({ tag: "v2" }));
        drainFirst = await deploy(labConfig({ swap: "drain-first" }));
        moreProcesses = await deploy(labConfig({ processes: 4 }));
    });

    it("a code ref change leaves every container and drain untouched and moves the code steps", () => {
        const [before, after] = [lab, newRef];
        expect(containerInputs(after)).toEqual(containerInputs(before));
        expect(triggersOf(after, "sample-web-port-")).toEqual(triggersOf(before, "sample-web-port-"));
        expect(triggersOf(after, "sample-web-clear-")).toEqual(triggersOf(before, "sample-web-clear-"));
        expect(triggersOf(after, "sample-code-")).toEqual(['["v1.1.0"]', '["v1.1.0"]', '["v1.1.0"]']);
        expect(triggersOf(after, "sample-worker-restart-")).toEqual(['["v1.1.0"]']);
    });

    it("an image tag change replaces every app container, each web host's on its other port", () => {
        const [before, after] = [lab, newTag];
        const images = (program: RecordedProgram) => program.ofType(CONTAINER).filter((container) => container.name.startsWith("sample-")).map((container) => container.inputs.image);
        expect(images(after)).toEqual(Array(4).fill("172.30.0.2:5000/berth/sample:v2"));
        expect(triggersOf(after, "sample-web-port-")).not.toEqual(triggersOf(before, "sample-web-port-"));
        expect(triggersOf(after, "sample-code-")).toEqual(triggersOf(before, "sample-code-"));
    });

    it("a uWSGI settings change replaces the web containers (a chain reload would keep the old ones), and touches no worker", () => {
        const [before, after] = [lab, moreProcesses];
        const label = (program: RecordedProgram, name: string) =>
            (program.named(name).inputs.labels as { label: string; value: string }[]).find((entry) => entry.label === "berth.fingerprint")!.value;
        expect(after.named("sample-uwsgi-ini-web-1").inputs.stdin).toContain("processes = 4\n");
        expect(label(after, "sample-web-web-1")).not.toEqual(label(before, "sample-web-web-1"));
        expect(triggersOf(after, "sample-web-port-")).not.toEqual(triggersOf(before, "sample-web-port-"));
        expect(triggersOf(after, "sample-web-clear-")).toEqual(triggersOf(after, "sample-web-port-"));
        const workerInputs = (program: RecordedProgram) => containerInputs(program).filter((inputs) => !inputs.includes("sample-web-"));
        expect(workerInputs(after)).toEqual(workerInputs(before));
        expect(triggersOf(after, "sample-code-")).toEqual(triggersOf(before, "sample-code-"));
    });

    it("a swap change re-runs each web host's port step with its new stop steps, and touches no worker", () => {
        // A stop step new to the stack runs; with the port step's old answer (the serving port) it
        // would stop the serving container. Same triggers: they run together, on the other port.
        const [before, after] = [lab, drainFirst];
        const webTriggers = (program: RecordedProgram) => [
            ...triggersOf(program, "sample-web-port-"),
            ...triggersOf(program, "sample-web-clear-"),
            ...triggersOf(program, "sample-web-stop-"),
            ...triggersOf(program, "sample-drain-"),
        ];
        const fingerprint = JSON.parse(triggersOf(before, "sample-web-port-")[0])[0];
        expect(webTriggers(before)).toEqual(Array(4).fill(JSON.stringify([fingerprint, "blue-green"])));
        expect(webTriggers(after)).toEqual(Array(6).fill(JSON.stringify([fingerprint, "drain-first"])));
        const workerInputs = (program: RecordedProgram) => containerInputs(program).filter((inputs) => !inputs.includes("sample-web-"));
        expect(workerInputs(after)).toEqual(workerInputs(before));
    });
});

describe("several apps on the same hosts", () => {
    let program: RecordedProgram;
    beforeAll(async () => {
        const app = (name: string, webPort: number) => ({
            name, domain: `${name}.localhost`, image: { repository: `registry.local/${name}`, tag: "v1" }, webPort,
            hosts: { web: ["web-1", "web-2"] }, release: ["migrate"],
        });
        program = await deploy(labConfig({ apps: [app("blog", 8001), app("shop", 8003)] }));
    });

    it("never collide in names, ports or upstreams, and roll out one after the other", () => {
        const names = program.resources.map((resource) => `${resource.type}::${resource.name}`);
        expect(new Set(names).size).toBe(names.length);
        expect(program.named("shop-web-web-1").inputs).toMatchObject({ ports: [{ external: 8003, internal: 8000, ip: "172.30.0.11" }] });
        expect(program.named("blog-web-web-1").inputs).toMatchObject({ ports: [{ external: 8001, internal: 8000, ip: "172.30.0.11" }] });
        const config = program.named("nginx-config").inputs.stdin as string;
        expect(config).toContain("upstream berth_blog {");
        expect(config).toContain("upstream berth_shop {");
        expect(program.waitsFor("shop-undrain-web-1", "blog-undrain-web-2")).toBe(true);
        expect(program.named("shop-web-port-web-1").inputs.create).toContain("echo 8004; else echo 8003; fi");
    });
});

describe("a bad config", () => {
    let caught: unknown;
    let recorded: RecordedProgram;
    beforeAll(async () => {
        const config = labConfig();
        config["berth:apps"] = [{ name: "sample", domain: "sample.localhost", image: { repository: "r/sample", tag: "" }, webPort: 80, hosts: { web: [], beat: ["web-1", "web-2"] } }];
        ({ recorded } = await recordProgram(config, ["berth:secrets"], () => {
            try {
                return deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner });
            } catch (error) {
                caught = error;
                return undefined;
            }
        }));
    });

    it("fails before any resource is registered, naming every problem", () => {
        expect(caught).toBeInstanceOf(ConfigError);
        expect((caught as ConfigError).problems.map((problem) => problem.propertyPath)).toEqual([
            "berth:apps[0].image.tag", "berth:apps[0].webPort", "berth:apps[0].hosts.web",
            "berth:apps[0].hosts.beat", "berth:apps[0].hosts.beat[0]", "berth:apps[0].hosts.beat[1]",
        ]);
        expect(recorded.resources).toEqual([]);
    });
});

describe("an app whose last web host also runs its worker and beat", () => {
    it("switches that host's code once, and restarts its worker and beat after the switch has reloaded", async () => {
        const config = JSON.parse(JSON.stringify(labConfig({ ref: "v1.1.0" })));
        config["berth:sshKeyPath"] = sshKeyPath;
        config["berth:hosts"][1].roles = ["web", "worker", "beat"];
        config["berth:apps"][0].hosts = { web: ["web-1", "web-2"], worker: ["web-2"], beat: ["web-2"] };
        const program = await deploy(config);
        expect(program.resources.filter((resource) => resource.name === "sample-code-web-2")).toHaveLength(1);
        for (const role of ["worker", "beat"]) {
            expect(program.waitsFor(`sample-${role}-restart-web-2`, "sample-code-web-2")).toBe(true);
            expect(program.waitsFor(`sample-${role}-restart-web-2`, "sample-web-retire-web-1")).toBe(true);
        }
        expect(program.waitsFor("sample-worker-web-2", "sample-worker-restart-web-2")).toBe(true);
    });
});

describe("the wired order is the rollout plan's", () => {
    /** The resources the component creates for one step of the plan, in their order within it. */
    function stepResources(spec: AppSpec, step: RolloutStep): string[] {
        const names = rolloutNames(spec.name);
        switch (step.kind) {
            case "pull":
                return step.hosts.map((host) => names.hostFile("image", host));
            case "checkout":
                return step.hosts.map((host) => names.hostFile("checkout", host));
            case "release":
                return [names.release];
            case "static":
                return step.hosts.map((host) => names.staticFiles(host));
            case "web":
                return [names.codeSwitch(step.host), ...containerReplacementSteps(spec.name, "web", step.host, spec.swap)];
            case "restart":
                return step.hosts.flatMap(({ host, roles }) => [
                    ...(spec.hosts.web.includes(host) ? [] : [names.codeSwitch(host)]),
                    ...roles.map((role) => names.restart(role, host)),
                ]);
            case "worker":
                return step.hosts.flatMap((host) => containerReplacementSteps(spec.name, "worker", host));
            case "beat":
                return containerReplacementSteps(spec.name, "beat", step.host);
            case "prune":
                return step.hosts.map((host) => names.prune(host));
        }
    }

    // An image change, a code change, both at once, and the drain-first swap.
    for (const [change, overrides] of [
        ["an image change", { tag: "v2" }],
        ["a code change", { ref: "v1.1.0" }],
        ["an image and code change", { tag: "v2", ref: "v1.1.0" }],
        ["an image change with swap: drain-first", { tag: "v2", swap: "drain-first" }],
    ] as const) {
        it(`for ${change}: every step waits for the one before it, and nothing waits the other way`, async () => {
            const config = labConfig(overrides);
            const program = await deploy(config);
            const spec = validateConfig(Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^berth:/, ""), value]))).apps[0];
            // Pulls and checkouts run side by side, and so do release and static tasks: a stage each;
            // the code path's restarts run beside the last web host.
            const stageOf = (kind: RolloutStep["kind"]) => (kind === "pull" || kind === "checkout" ? "prepare" : kind === "release" || kind === "static" ? "release" : kind === "restart" ? "beside" : kind);
            const stages: string[][] = [];
            let lastStage = "";
            for (const step of planRollout(spec)) {
                const resources = stepResources(spec, step);
                if ((stageOf(step.kind) === lastStage && (lastStage === "prepare" || lastStage === "release")) || lastStage === "beside") {
                    stages[stages.length - 1].push(...resources);
                } else {
                    stages.push(resources);
                }
                lastStage = stageOf(step.kind);
            }
            for (const resources of stages) {
                for (const name of resources) {
                    expect(program.named(name)).toBeDefined();
                }
            }
            for (let index = 1; index < stages.length; index++) {
                for (const later of stages[index]) {
                    for (const earlier of stages[index - 1]) {
                        expect([later, earlier, program.waitsFor(later, earlier)]).toEqual([later, earlier, true]);
                        expect([earlier, later, program.waitsFor(earlier, later)]).toEqual([earlier, later, false]);
                    }
                }
            }
            // Within a web host's swap, each resource after the one before.
            const web1 = stepResources(spec, { kind: "web", host: "web-1" });
            for (let index = 1; index < web1.length; index++) {
                expect([web1[index], program.waitsFor(web1[index], web1[index - 1])]).toEqual([web1[index], true]);
            }
            // The code path's restarts run beside the last web host: they wait for none of its steps.
            const restart = planRollout(spec).find((step) => step.kind === "restart");
            expect(restart?.kind).toBe("restart");
            if (restart?.kind === "restart") {
                for (const restartStep of stepResources(spec, restart)) {
                    for (const webStep of stepResources(spec, { kind: "web", host: restart.beside })) {
                        expect([restartStep, webStep, program.waitsFor(restartStep, webStep)]).toEqual([restartStep, webStep, false]);
                    }
                }
            }
            // nginx's whole config after every step of the rollout.
            expect(program.waitsFor("nginx-config", stages[stages.length - 1][stages[stages.length - 1].length - 1])).toBe(true);
        });
    }
});
