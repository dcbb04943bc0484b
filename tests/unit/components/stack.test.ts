import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../../components/config";
import { deployStack, readStackConfig } from "../../../stacks";
import { temporaryDirectory } from "../../support/files";
import { isSecret, RecordedProgram, recordProgram } from "../../support/pulumiMocks";

const keyDirectory = temporaryDirectory("keys");
const sshKeyPath = join(keyDirectory, "id_ed25519");
writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");

const SECRET_KEY = "django-secret-that-must-stay-secret";

function labConfig(overrides: { tag?: string; ref?: string; apps?: unknown[] } = {}): Record<string, unknown> {
    const sample = {
        name: "sample",
        domain: "sample.localhost",
        image: { repository: "172.30.0.2:5000/berth/sample", tag: overrides.tag ?? "v1" },
        code: { repository: "http://172.30.0.2:8081/sample.git", ref: overrides.ref ?? "v1.0.0" },
        webPort: 8001,
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
        "berth:secrets": { sample: { SECRET_KEY } },
    };
}

async function deploy(config: Record<string, unknown>): Promise<RecordedProgram> {
    const { recorded } = await recordProgram(config, ["berth:secrets"], () => deployStack(readStackConfig()));
    return recorded;
}

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
            ["sample-web-web-1", "sample-web"],
            ["sample-web-web-2", "sample-web"],
            ["sample-worker-worker-1", "sample-worker"],
        ]);
        // The image is pulled on every host of the app, and on the load balancer for collectstatic.
        expect(lab.ofType(IMAGE).map((image) => [image.name, image.inputs.name, image.inputs.keepLocally]).sort()).toEqual([
            ["nginx-image", "nginx:1.27-bookworm", true],
            ["sample-image-lb-1", "172.30.0.2:5000/berth/sample:v1", true],
            ["sample-image-web-1", "172.30.0.2:5000/berth/sample:v1", true],
            ["sample-image-web-2", "172.30.0.2:5000/berth/sample:v1", true],
            ["sample-image-worker-1", "172.30.0.2:5000/berth/sample:v1", true],
        ]);
    });

    it("gives web containers a health gate, a grace period, rotated logs and limits", () => {
        const web = lab.named("sample-web-web-1").inputs;
        expect(web).toMatchObject({
            image: "172.30.0.2:5000/berth/sample:v1",
            command: ["run"],
            ports: [{ internal: 8000, external: 8001, ip: "172.30.0.11" }],
            volumes: [{ hostPath: "/srv/berth/sample", containerPath: "/srv/berth/sample" }],
            healthcheck: {
                tests: ["CMD", "python3", "-c", 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=2)'],
                interval: "2s", timeout: "3s", retries: 3, startPeriod: "2s",
            },
            wait: true,
            waitTimeout: 60,
            destroyGraceSeconds: 30,
            restart: "unless-stopped",
            memory: 512,
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "5" },
        });
        expect(web.envs).toEqual([
            "BERTH_APP=sample", "BERTH_CODE_DIR=/srv/berth/sample/code", "BERTH_ENV_FILE=/srv/berth/sample/env",
            "BERTH_HOST=web-1", "BERTH_IMAGE_TAG=v1", "BERTH_UWSGI_INI=/srv/berth/sample/uwsgi.ini",
        ]);
        expect(lab.named("sample-worker-worker-1").inputs.command).toEqual(["worker"]);
        expect(lab.named("sample-beat-worker-1").inputs.command).toEqual(["beat"]);
    });

    it("delivers secrets only through a 0600 env file's standard input", () => {
        const envFiles = lab.ofType(REMOTE_COMMAND).filter((command) => command.name.startsWith("sample-env-file-"));
        expect(envFiles.map((command) => command.name).sort()).toEqual([
            "sample-env-file-lb-1", "sample-env-file-web-1", "sample-env-file-web-2", "sample-env-file-worker-1",
        ]);
        for (const envFile of envFiles) {
            expect(envFile.inputs.create).toBe("umask 077 && cat > /srv/berth/sample/env.berth-tmp && chmod 0600 /srv/berth/sample/env.berth-tmp && mv -f /srv/berth/sample/env.berth-tmp /srv/berth/sample/env");
            expect(envFile.inputs.stdin).toBe(`DJANGO_SETTINGS_MODULE=sample.settings\nSECRET_KEY=${SECRET_KEY}\n`);
            expect([envFile.name, isSecret(envFile.wireInputs.stdin)]).toEqual([envFile.name, true]);
        }
        // Nowhere else: not in a command line, a container input or a label.
        const elsewhere = lab.resources.filter((resource) => !resource.name.startsWith("sample-env-file-"));
        expect(JSON.stringify(elsewhere.map((resource) => resource.inputs))).not.toContain(SECRET_KEY);
    });

    it("runs release tasks once, after every pull and checkout, before any web container", () => {
        expect(lab.named("sample-release").inputs.create).toContain("docker run --rm --name sample-release-migrate");
        expect(lab.named("sample-release").inputs.triggers).toEqual(["v1", "v1.0.0"]);
        expect(lab.named("sample-static-files").inputs.create).toContain("172.30.0.2:5000/berth/sample:v1 collectstatic");
        for (const host of ["web-1", "web-2", "worker-1", "lb-1"]) {
            expect(lab.waitsFor("sample-release", `sample-image-${host}`)).toBe(true);
            expect(lab.waitsFor("sample-release", `sample-checkout-${host}`)).toBe(true);
        }
        // collectstatic runs beside the release tasks: both need only the new checkout.
        expect(lab.waitsFor("sample-static-files", "sample-checkout-lb-1")).toBe(true);
        expect(lab.waitsFor("sample-static-files", "sample-release")).toBe(false);
        expect(lab.waitsFor("sample-drain-web-1", "sample-static-files")).toBe(true);
        expect(lab.waitsFor("sample-drain-web-1", "sample-release")).toBe(true);
        expect(lab.waitsFor("sample-web-web-1", "sample-release")).toBe(true);
        expect(lab.waitsFor("sample-release", "sample-web-web-1")).toBe(false);
    });

    it("replaces web hosts one by one: drain, code, container, health, undrain, then the next host", () => {
        const chain = [
            "sample-drain-web-1", "sample-code-web-1", "sample-web-web-1", "sample-healthy-web-1", "sample-undrain-web-1",
            "sample-drain-web-2", "sample-code-web-2", "sample-web-web-2", "sample-healthy-web-2", "sample-undrain-web-2",
            "sample-worker-worker-1", "sample-worker-restart-worker-1", "sample-beat-worker-1",
        ];
        for (let index = 1; index < chain.length; index++) {
            expect([chain[index], lab.waitsFor(chain[index], chain[index - 1])]).toEqual([chain[index], true]);
        }
        // Hosts are ordered by dependsOn only: no property of web-2's container comes from web-1's,
        // so replacing web-1 never drags web-2 into the same delete.
        expect(lab.named("sample-web-web-2").dependencies).not.toContain(lab.named("sample-web-web-1").urn);
        expect(lab.named("sample-drain-web-1").inputs.create).toContain("sed 's/ fail_timeout=5s; # sample@web-1$/ fail_timeout=5s down; # sample@web-1/'");
        expect(lab.named("sample-undrain-web-1").inputs.create).toContain("sed 's/ fail_timeout=5s down; # sample@web-1$/ fail_timeout=5s; # sample@web-1/'");
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

    it("a code ref change leaves every container and drain untouched and moves the code steps", async () => {
        const before = await deploy(labConfig({ ref: "v1.0.0" }));
        const after = await deploy(labConfig({ ref: "v1.1.0" }));
        expect(containerInputs(after)).toEqual(containerInputs(before));
        expect(triggersOf(after, "sample-drain-")).toEqual(triggersOf(before, "sample-drain-"));
        expect(triggersOf(after, "sample-code-")).toEqual(['["v1.1.0"]', '["v1.1.0"]', '["v1.1.0"]']);
        expect(triggersOf(after, "sample-worker-restart-")).toEqual(['["v1.1.0"]']);
    });

    it("an image tag change replaces every app container and drains each web host", async () => {
        const before = await deploy(labConfig({ tag: "v1" }));
        const after = await deploy(labConfig({ tag: "v2" }));
        const images = (program: RecordedProgram) => program.ofType(CONTAINER).filter((container) => container.name.startsWith("sample-")).map((container) => container.inputs.image);
        expect(images(after)).toEqual(Array(4).fill("172.30.0.2:5000/berth/sample:v2"));
        expect(triggersOf(after, "sample-drain-")).not.toEqual(triggersOf(before, "sample-drain-"));
        expect(triggersOf(after, "sample-code-")).toEqual(triggersOf(before, "sample-code-"));
    });
});

describe("several apps on the same hosts", () => {
    it("never collide in names, ports or upstreams, and roll out one after the other", async () => {
        const app = (name: string, webPort: number) => ({
            name, domain: `${name}.localhost`, image: { repository: `registry.local/${name}`, tag: "v1" }, webPort,
            hosts: { web: ["web-1", "web-2"] }, release: ["migrate"],
        });
        const program = await deploy(labConfig({ apps: [app("blog", 8001), app("shop", 8002)] }));
        const names = program.resources.map((resource) => `${resource.type}::${resource.name}`);
        expect(new Set(names).size).toBe(names.length);
        expect(program.named("shop-web-web-1").inputs).toMatchObject({ name: "shop-web", ports: [{ external: 8002, internal: 8000, ip: "172.30.0.11" }] });
        expect(program.named("blog-web-web-1").inputs).toMatchObject({ name: "blog-web", ports: [{ external: 8001, internal: 8000, ip: "172.30.0.11" }] });
        const config = program.named("nginx-config").inputs.stdin as string;
        expect(config).toContain("upstream berth_blog {");
        expect(config).toContain("upstream berth_shop {");
        expect(program.waitsFor("shop-drain-web-1", "blog-undrain-web-2")).toBe(true);
    });
});

describe("a bad config", () => {
    it("fails before any resource is registered, naming every problem", async () => {
        const config = labConfig();
        config["berth:apps"] = [{ name: "sample", domain: "sample.localhost", image: { repository: "r/sample", tag: "" }, webPort: 80, hosts: { web: [], beat: ["web-1", "web-2"] } }];
        let caught: unknown;
        const { recorded } = await recordProgram(config, ["berth:secrets"], () => {
            try {
                return deployStack(readStackConfig());
            } catch (error) {
                caught = error;
                return undefined;
            }
        });
        expect(caught).toBeInstanceOf(ConfigError);
        expect((caught as ConfigError).problems.map((problem) => problem.propertyPath)).toEqual([
            "berth:apps[0].image.tag", "berth:apps[0].webPort", "berth:apps[0].hosts.web",
            "berth:apps[0].hosts.beat", "berth:apps[0].hosts.beat[0]", "berth:apps[0].hosts.beat[1]",
        ]);
        expect(recorded.resources).toEqual([]);
    });
});
