import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "../../../components/config";
import { deployStack, readStackConfig, StackOutputs } from "../../../stacks";
import { INTERNET, renderCloudInit } from "../../../stacks/digitalocean";
import { digitalOceanConfig, PUBLIC_KEY } from "../../support/digitalOceanConfig";
import { temporaryDirectory } from "../../support/files";
import { isSecret, mockDropletAddresses, MOCKED_RUN_TIMEOUT_MS, RecordedProgram, recordProgram, sharedRuns, mockHostKey, mockHostKeyScanner } from "../../support/pulumiMocks";

// Whole-program runs under mocks: slow on a loaded machine, so bounded generously (see MOCKED_RUN_TIMEOUT_MS).
jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

const keyDirectory = temporaryDirectory("do-keys");
const sshKeyPath = join(keyDirectory, "id_ed25519");
writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");

const DROPLET = "digitalocean:index/droplet:Droplet";
const FIREWALL = "digitalocean:index/firewall:Firewall";
const CONTAINER = "docker:index/container:Container";
const REMOTE_COMMAND = "command:remote:Command";
const DOCKER_PROVIDER = "pulumi:providers:docker";

/** The `berth:*` keys of a prod stack, as `pulumi config` would hand them over. */
function stackConfig(raw: RawConfig): Record<string, unknown> {
    const config: Record<string, unknown> = { "berth:sshKeyPath": sshKeyPath, "berth:secrets": { antisocial: { SECRET_KEY: "s3cret" } } };
    for (const [key, value] of Object.entries(raw)) {
        config[`berth:${key}`] = value;
    }
    return config;
}

/** The program's run for a config; one run per distinct config, shared by every test that inspects it. */
const deploy = sharedRuns(async (raw: RawConfig): Promise<{ recorded: RecordedProgram; outputs: StackOutputs }> => {
    const { recorded, result } = await recordProgram(stackConfig(raw), ["berth:secrets"], () => deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner }));
    return { recorded, outputs: result };
});

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** The mocked addresses of a droplet host (resource `digitalocean-droplet-<host>`). */
const addressesOf = (hostName: string) => mockDropletAddresses(`digitalocean-droplet-${hostName}`);

describe("the prod stack on DigitalOcean, under mocks", () => {
    let prod: RecordedProgram;
    let outputs: StackOutputs;
    beforeAll(async () => {
        ({ recorded: prod, outputs } = await deploy(digitalOceanConfig({ digitalocean: { dns: { zone: "example.com" }, registry: { name: "berth", tier: "basic", region: "fra1" } } })));
    });

    it("creates a VPC, the deploy key and one droplet per host, in the VPC, with the key", () => {
        expect(prod.named("digitalocean-vpc").inputs).toMatchObject({ name: "berth-test-vpc", region: "fra1", ipRange: "10.10.0.0/20" });
        expect(prod.named("digitalocean-ssh-key").inputs).toMatchObject({ name: "berth-test-deploy", publicKey: PUBLIC_KEY });
        const droplets = prod.ofType(DROPLET);
        expect(droplets.map((droplet) => [droplet.name, droplet.inputs.name, droplet.inputs.size, droplet.inputs.image, droplet.inputs.region]).sort()).toEqual([
            ["digitalocean-droplet-lb-1", "test-lb-1", "s-1vcpu-1gb", "debian-12-x64", "fra1"],
            ["digitalocean-droplet-web-1", "test-web-1", "s-1vcpu-2gb", "debian-12-x64", "fra1"],
            ["digitalocean-droplet-web-2", "test-web-2", "s-1vcpu-2gb", "debian-12-x64", "fra1"],
            ["digitalocean-droplet-worker-1", "test-worker-1", "s-2vcpu-4gb", "debian-12-x64", "fra1"],
        ]);
        for (const droplet of droplets) {
            expect(droplet.inputs).toMatchObject({
                vpcUuid: "digitalocean-vpc-id",
                sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"],
                monitoring: true,
                gracefulShutdown: true,
            });
            // First-boot settings: a change must not replace running hosts (see README).
            expect(droplet.ignoreChanges.sort()).toEqual(["image", "sshKeys", "userData"]);
        }
    });

    it("tags droplets by stack, role and group, and owns those tags", () => {
        const tagsOf = (host: string) => prod.named(`digitalocean-droplet-${host}`).inputs.tags;
        expect(tagsOf("web-1")).toEqual(["berth", "berth-test", "berth-test-group-web", "berth-test-web"]);
        expect(tagsOf("worker-1")).toEqual(["berth", "berth-test", "berth-test-beat", "berth-test-group-worker", "berth-test-worker"]);
        expect(tagsOf("lb-1")).toEqual(["berth", "berth-test", "berth-test-group-lb", "berth-test-loadbalancer"]);
        expect(prod.ofType("digitalocean:index/tag:Tag").map((tag) => tag.inputs.name).sort()).toEqual([
            "berth-test", "berth-test-beat", "berth-test-group-lb", "berth-test-group-web", "berth-test-group-worker",
            "berth-test-loadbalancer", "berth-test-web", "berth-test-worker",
        ]);
        // Firewalls and droplets wait for the tags they name.
        expect(prod.waitsFor("digitalocean-firewall-loadbalancer", "digitalocean-tag-berth-test-loadbalancer")).toBe(true);
        expect(prod.waitsFor("digitalocean-droplet-web-1", "digitalocean-tag-berth-test-web")).toBe(true);
    });

    it("gives every droplet the same hardened cloud-init, with the host key berth generated for it", () => {
        const expected = renderCloudInit({ unattendedUpgrades: true });
        for (const droplet of prod.ofType(DROPLET)) {
            const host = droplet.name.replace("digitalocean-droplet-", "");
            const generated = prod.named(`digitalocean-host-key-${host}`);
            expect(generated.type).toBe("command:local:Command");
            const publicKey = mockHostKey(`digitalocean-host-key-${host}`);
            expect(droplet.inputs.userData).toBe(renderCloudInit({
                unattendedUpgrades: true,
                hostKey: { privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\nmock-private-half-of-digitalocean-host-key-${host}\n-----END OPENSSH PRIVATE KEY-----\n`, publicKey },
            }));
            // The user data holds the private half: a secret in the state.
            expect([droplet.name, isSecret(droplet.wireInputs.userData)]).toEqual([droplet.name, true]);
            // Every connection to the droplet, the first (cloud-init's readiness) too, accepts only that key.
            expect(prod.named(`digitalocean-cloud-init-${host}`).inputs.connection.hostKey).toBe(publicKey);
            expect(prod.named(`${host}-docker`).inputs.sshOpts).toContain(`KnownHostsCommand=/bin/echo ${addressesOf(host).address} ${publicKey}`);
        }
        expect(expected).toContain("  - \"docker.io\"\n");
        expect(expected).toContain("      PasswordAuthentication no\n");
        expect(expected).toContain("      KbdInteractiveAuthentication no\n");
        expect(expected).toContain("      PermitRootLogin prohibit-password\n");
        expect(expected).toContain('  - ["install", "-d", "-m", "0755", "-o", "root", "-g", "root", "/srv/berth"]\n');
    });

    describe("firewalls", () => {
        const rulesOf = (name: string) => prod.named(`digitalocean-firewall-${name}`).inputs;

        let withDataGroup: RecordedProgram;
        beforeAll(async () => {
            const raw = digitalOceanConfig();
            const digitalocean = raw.digitalocean as { droplets: unknown[] };
            digitalocean.droplets.push({ name: "data", count: 1, size: "s-2vcpu-4gb", roles: ["data"], privatePorts: [6379, 5432] });
            ({ recorded: withDataGroup } = await deploy(raw));
        });

        it("open SSH on every host, only to the admin networks", () => {
            expect(rulesOf("hosts")).toMatchObject({
                name: "berth-test-hosts",
                tags: ["berth-test"],
                inboundRules: [
                    { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/24"] },
                    { protocol: "icmp", sourceAddresses: ["10.10.0.0/20"] },
                ],
                outboundRules: [
                    { protocol: "tcp", portRange: "1-65535", destinationAddresses: INTERNET },
                    { protocol: "udp", portRange: "1-65535", destinationAddresses: INTERNET },
                    { protocol: "icmp", destinationAddresses: INTERNET },
                ],
            });
        });

        it("open 80 and 443 to the world on the load balancer only, and app ports only inside the VPC", () => {
            expect(rulesOf("loadbalancer")).toMatchObject({
                tags: ["berth-test-loadbalancer"],
                inboundRules: [
                    { protocol: "tcp", portRange: "80", sourceAddresses: INTERNET },
                    { protocol: "tcp", portRange: "443", sourceAddresses: INTERNET },
                ],
            });
            expect(rulesOf("web")).toMatchObject({ tags: ["berth-test-web"], inboundRules: [
                // Both of the app's ports: a rollout starts the new web container on the other one.
                { protocol: "tcp", portRange: "8001", sourceAddresses: ["10.10.0.0/20"] },
                { protocol: "tcp", portRange: "8002", sourceAddresses: ["10.10.0.0/20"] },
            ] });
        });

        it("never open anything else to the internet, and SSH to nothing but the admin networks", () => {
            const inbound = prod.ofType(FIREWALL).flatMap((firewall) =>
                (firewall.inputs.inboundRules as { portRange?: string; sourceAddresses: string[] }[]).map((rule) => ({ tags: firewall.inputs.tags as string[], ...rule })));
            const world = inbound.filter((rule) => rule.sourceAddresses.some((source) => INTERNET.includes(source)));
            expect(world.map((rule) => [rule.tags, rule.portRange])).toEqual([
                [["berth-test-loadbalancer"], "80"],
                [["berth-test-loadbalancer"], "443"],
            ]);
            const ssh = inbound.filter((rule) => rule.portRange === "22");
            expect(ssh.map((rule) => rule.sourceAddresses)).toEqual([["203.0.113.0/24"]]);
        });

        it("open the accessories' ports inside the VPC, on the data hosts only, and point the apps at their private address", async () => {
            const raw = digitalOceanConfig();
            (raw.digitalocean as { droplets: unknown[] }).droplets.push({ name: "data", count: 1, size: "s-2vcpu-4gb", roles: ["data"] });
            (raw.apps as Record<string, unknown>[])[0].accessories = ["db", "cache"];
            raw.accessories = [
                { name: "db", image: "postgres:15.8-bookworm", host: "data-1" },
                { name: "cache", image: "redis:7.4-bookworm", host: "data-1", port: 6380 },
            ];
            raw.secrets = { antisocial: { SECRET_KEY: "s3cret" }, db: { PASSWORD: "db-secret" }, cache: { PASSWORD: "cache-secret" } };
            const { recorded } = await deploy(raw);
            expect(recorded.named("digitalocean-firewall-accessories").inputs).toMatchObject({
                tags: ["berth-test-data"],
                inboundRules: [
                    { protocol: "tcp", portRange: "5432", sourceAddresses: ["10.10.0.0/20"] },
                    { protocol: "tcp", portRange: "6380", sourceAddresses: ["10.10.0.0/20"] },
                ],
            });
            const { privateAddress } = addressesOf("data-1");
            expect(recorded.named("db-container").inputs.ports).toEqual([{ internal: 5432, external: 5432, ip: privateAddress }]);
            const envFile = recorded.named("antisocial-env-file-web-1").inputs.stdin as string;
            expect(envFile).toContain(`DATABASE_URL=postgres://db:db-secret@${privateAddress}:5432/db\n`);
            expect(envFile).toContain(`REDIS_URL=redis://:cache-secret@${privateAddress}:6380/0\n`);
        });

        it("create managed databases in the VPC, admitting only the stack's droplets, a database and user per app, private URIs as secrets", async () => {
            const raw = digitalOceanConfig({ digitalocean: { databases: [{ name: "main-db", engine: "pg", version: "16" }, { name: "broker", engine: "valkey" }] } });
            (raw.apps as Record<string, unknown>[])[0].accessories = ["main-db", { name: "broker", settings: { CELERY_BROKER_URL: "url" }, redisDatabase: 2 }];
            const { recorded, outputs } = await deploy(raw);
            expect(recorded.named("digitalocean-database-main-db").inputs).toMatchObject({
                name: "berth-test-main-db", engine: "pg", version: "16", size: "db-s-1vcpu-1gb", region: "fra1", nodeCount: 1,
                privateNetworkUuid: "digitalocean-vpc-id", tags: ["berth-test"],
            });
            expect(recorded.named("digitalocean-database-main-db").retainOnDelete).toBe(true);
            expect(recorded.named("digitalocean-database-broker").inputs).toMatchObject({ engine: "valkey", version: "8" });
            expect(recorded.named("digitalocean-database-main-db-firewall").inputs.rules).toEqual([{ type: "tag", value: "berth-test" }]);
            expect(recorded.named("digitalocean-database-main-db-user-antisocial").inputs).toMatchObject({ name: "antisocial" });
            expect(recorded.named("digitalocean-database-main-db-db-antisocial").inputs).toMatchObject({ name: "antisocial" });
            expect(recorded.named("digitalocean-database-main-db-db-antisocial").retainOnDelete).toBe(true);
            expect(() => recorded.named("digitalocean-database-broker-user-antisocial")).toThrow(/no resource named/);

            const envFile = recorded.named("antisocial-env-file-web-1");
            expect(envFile.inputs.stdin).toContain("DATABASE_URL='postgresql://antisocial:password-of-antisocial@private-berth-test-main-db-do-user-1.db.ondigitalocean.com:25060/antisocial?sslmode=require'\n");
            expect(envFile.inputs.stdin).toContain("CELERY_BROKER_URL='rediss://default:admin-password-of-berth-test-broker@private-berth-test-broker-do-user-1.db.ondigitalocean.com:25061/2?ssl_cert_reqs=required'\n");
            expect(isSecret(envFile.wireInputs.stdin)).toBe(true);
            expect(recorded.waitsFor("antisocial-env-file-web-1", "digitalocean-database-main-db-user-antisocial")).toBe(true);
            // Other stacks get the private hosts, never a password.
            const databases = await valueOf(outputs.databases);
            expect(databases).toEqual({
                "main-db": { engine: "pg", host: "private-berth-test-main-db-do-user-1.db.ondigitalocean.com", port: 25060 },
                broker: { engine: "valkey", host: "private-berth-test-broker-do-user-1.db.ondigitalocean.com", port: 25061 },
            });
        });

        it("open a group's private ports inside the VPC, on that group only", () => {
            expect(withDataGroup.named("digitalocean-firewall-group-data").inputs).toMatchObject({
                tags: ["berth-test-group-data"],
                inboundRules: [
                    { protocol: "tcp", portRange: "5432", sourceAddresses: ["10.10.0.0/20"] },
                    { protocol: "tcp", portRange: "6379", sourceAddresses: ["10.10.0.0/20"] },
                ],
            });
        });
    });

    it("reaches droplets over SSH on their public address, and only once cloud-init is done", () => {
        const web1 = addressesOf("web-1");
        for (const host of ["web-1", "web-2", "worker-1", "lb-1"]) {
            expect(prod.named(`${host}-docker`).inputs.host).toBe(`ssh://root@${addressesOf(host).address}:22`);
        }
        expect(prod.named("digitalocean-cloud-init-web-1").inputs.create).toContain("cloud-init status --wait");
        expect(prod.named("digitalocean-cloud-init-web-1").inputs.connection).toMatchObject({ host: web1.address, user: "root", port: 22 });
        // Everything on the host waits: its docker provider, its files, its containers.
        expect(prod.waitsFor("web-1-docker", "digitalocean-cloud-init-web-1")).toBe(true);
        expect(prod.waitsFor("antisocial-volume-web-1", "digitalocean-cloud-init-web-1")).toBe(true);
        expect(prod.waitsFor("antisocial-web-web-1", "digitalocean-cloud-init-web-1")).toBe(true);
        expect(prod.waitsFor("nginx-nginx", "digitalocean-cloud-init-lb-1")).toBe(true);
    });

    it("puts the web hosts' private addresses in nginx's upstream and binds web containers to them", () => {
        const [web1, web2] = [addressesOf("web-1"), addressesOf("web-2")];
        const config = prod.named("nginx-config").inputs.stdin as string;
        expect(config).toContain(
            `upstream berth_antisocial {\n        server ${web1.privateAddress}:8001 max_fails=1 fail_timeout=5s; # antisocial@web-1\n        server ${web2.privateAddress}:8001 max_fails=1 fail_timeout=5s; # antisocial@web-2\n    }`,
        );
        expect(config).not.toContain(web1.address);
        expect(prod.named("antisocial-web-web-1").inputs.ports).toEqual([{ internal: 8000, external: 8001, ip: web1.privateAddress }]);
        expect(prod.named("antisocial-healthy-web-2").inputs.create).toContain(`http://${web2.privateAddress}:8001/healthz`);
    });

    it("puts a reserved IP on the load balancer and an A record per app on it", () => {
        expect(prod.named("digitalocean-reserved-ip").inputs).toEqual({ region: "fra1" });
        expect(prod.named("digitalocean-reserved-ip-assignment").inputs).toEqual({
            ipAddress: "198.51.100.10",
            dropletId: Number(addressesOf("lb-1").id),
        });
        expect(prod.named("digitalocean-dns-antisocial").inputs).toEqual({ domain: "example.com", type: "A", name: "antisocial", value: "198.51.100.10", ttl: 300 });
    });

    it("serves every app over HTTPS by default, its certificate asked for once its A record exists", () => {
        expect(prod.named("nginx-certificate-antisocial").inputs.create).toContain("--server https://acme-v02.api.letsencrypt.org/directory --email ops@example.com");
        expect(prod.waitsFor("nginx-certificate-antisocial", "digitalocean-dns-antisocial")).toBe(true);
        expect(prod.named("nginx-nginx").inputs.ports).toEqual([{ internal: 80, external: 80 }, { internal: 443, external: 443 }]);
    });

    it("creates the registry and logs every host in to it, with the credentials kept secret", () => {
        expect(prod.named("digitalocean-registry").inputs).toEqual({ name: "berth", subscriptionTierSlug: "basic", region: "fra1" });
        expect(prod.named("digitalocean-registry-credentials").inputs).toEqual({ registryName: "berth", write: false });
        for (const provider of prod.ofType(DOCKER_PROVIDER)) {
            expect(JSON.parse(provider.inputs.registryAuth)).toEqual([{ address: "registry.digitalocean.com", username: "dop_v1_mock", password: "dop_v1_mock" }]);
            expect(isSecret(provider.wireInputs.registryAuth)).toBe(true);
        }
        const logins = prod.ofType(REMOTE_COMMAND).filter((command) => command.name.startsWith("digitalocean-registry-login-"));
        expect(logins.map((login) => login.name).sort()).toEqual(["lb-1", "web-1", "web-2", "worker-1"].map((host) => `digitalocean-registry-login-${host}`));
        for (const login of logins) {
            expect(login.inputs.create).toBe("install -d -m 0700 /root/.docker && umask 077 && cat > /root/.docker/config.json.berth-tmp && chmod 0600 /root/.docker/config.json.berth-tmp && mv -f /root/.docker/config.json.berth-tmp /root/.docker/config.json");
            expect(isSecret(login.wireInputs.stdin)).toBe(true);
        }
        // The credentials never reach a droplet's user data (readable from the metadata service, and create-only).
        for (const droplet of prod.ofType(DROPLET)) {
            expect(droplet.inputs.userData).not.toContain("auths");
        }
    });

    it("exports hosts per role with both addresses, and the reserved IP", async () => {
        const hosts = await valueOf(outputs.hosts);
        const entry = (name: string) => ({ name, address: addressesOf(name).address, privateAddress: addressesOf(name).privateAddress });
        expect(hosts).toEqual({
            web: [entry("web-1"), entry("web-2")],
            worker: [entry("worker-1")],
            beat: [entry("worker-1")],
            loadbalancer: [entry("lb-1")],
            data: [],
        });
        expect(await valueOf(outputs.loadBalancer)).toEqual({ host: "lb-1", address: addressesOf("lb-1").address, httpPort: 80, reservedIp: "198.51.100.10" });
        const app = await valueOf(outputs.apps.antisocial);
        expect(app.upstreamServers).toEqual([`${addressesOf("web-1").privateAddress}:8001`, `${addressesOf("web-2").privateAddress}:8001`]);
        expect(app.url).toBe("https://antisocial.example.com/");
    });
});

describe("scaling the web hosts", () => {
    /** Every resource by URN, with its inputs, for comparing two runs of the program. */
    const byUrn = (program: RecordedProgram) => new Map(program.resources.map((resource) => [resource.urn, JSON.stringify(resource.inputs)]));

    let two: RecordedProgram;
    let three: RecordedProgram;
    beforeAll(async () => {
        ({ recorded: two } = await deploy(digitalOceanConfig({ web: 2 })));
        ({ recorded: three } = await deploy(digitalOceanConfig({ web: 3 })));
    });

    it("adding web-3 creates its droplet, host and containers and changes no existing input but nginx's upstream", () => {
        const before = byUrn(two);
        const after = byUrn(three);
        const changed = [...before.keys()].filter((urn) => after.get(urn) !== before.get(urn));
        const names = (urns: string[]) => urns.map((urn) => urn.split("::").pop()).sort();
        // nginx-initial-config ignores stdin changes (it only seeds a missing file); nginx-config installs the new upstream.
        expect(names(changed)).toEqual(["nginx-config", "nginx-initial-config"]);
        expect(three.named("nginx-initial-config").ignoreChanges).toEqual(["stdin"]);
        const added = names([...after.keys()].filter((urn) => !before.has(urn)));
        expect(added).toEqual([
            "antisocial-checkout-web-3", "antisocial-code-web-3", "antisocial-env-file-web-3",
            "antisocial-healthy-web-3", "antisocial-image-web-3", "antisocial-prune-web-3", "antisocial-static-web-3", "antisocial-undrain-web-3", "antisocial-uwsgi-ini-web-3",
            "antisocial-volume-web-3", "antisocial-web-clear-web-3", "antisocial-web-port-web-3", "antisocial-web-retire-web-3", "antisocial-web-web-3",
            "digitalocean-cloud-init-web-3", "digitalocean-droplet-web-3", "digitalocean-host-key-web-3",
            "web-3", "web-3-docker",
        ]);
        // Every existing container keeps its URN and inputs: nothing is replaced.
        for (const container of two.ofType(CONTAINER)) {
            expect(after.get(container.urn)).toBe(before.get(container.urn));
        }
        const upstream = three.named("nginx-config").inputs.stdin as string;
        expect(upstream).toContain(`server ${addressesOf("web-3").privateAddress}:8001 max_fails=1 fail_timeout=5s; # antisocial@web-3`);
    });

    it("the new host joins the rollout after the existing ones, behind the same firewalls", () => {
        expect(three.waitsFor("antisocial-web-clear-web-3", "antisocial-code-web-2")).toBe(true);
        expect(three.waitsFor("antisocial-undrain-web-2", "antisocial-web-clear-web-3")).toBe(false);
        expect(three.named("digitalocean-droplet-web-3").inputs.tags).toEqual(["berth", "berth-test", "berth-test-group-web", "berth-test-web"]);
    });

    it("removing web-3 takes it out of nginx's upstream in the same run that deletes it", () => {
        // Going back from three to two: web-3's resources are no longer registered, so the engine
        // deletes them after every registered step (nginx-config's update among them) has finished.
        const before = byUrn(three);
        const after = byUrn(two);
        const removed = [...before.keys()].filter((urn) => !after.has(urn));
        expect(removed.length).toBe(19);
        const upstream = two.named("nginx-config").inputs.stdin as string;
        expect(upstream).not.toContain("antisocial@web-3");
        expect(upstream).toContain("# antisocial@web-2");
    });
});

describe("Pulumi.prod.yaml", () => {
    let recorded: RecordedProgram;
    beforeAll(async () => {
        const file = join(__dirname, "..", "..", "..", "Pulumi.prod.yaml");
        const json = execFileSync("python3", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", file], { encoding: "utf8" });
        // The secrets its comments tell the user to set.
        const secrets = {
            antisocial: { SECRET_KEY: "s" },
            db: { PASSWORD: "p", BACKUP_ACCESS_KEY_ID: "id", BACKUP_SECRET_ACCESS_KEY: "key" },
            cache: { PASSWORD: "c" },
        };
        const config = { ...(JSON.parse(json).config as Record<string, unknown>), "berth:sshKeyPath": sshKeyPath, "berth:secrets": secrets };
        ({ recorded } = await recordProgram(config, ["berth:secrets"], () => deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner })));
    });

    it("is a valid DigitalOcean stack that deploys under mocks", () => {
        expect(recorded.ofType(DROPLET).map((droplet) => droplet.inputs.name).sort()).toEqual(["test-data-1", "test-lb-1", "test-web-1", "test-web-2", "test-worker-1"]);
        expect(recorded.named("digitalocean-dns-antisocial").inputs).toMatchObject({ domain: "example.com", name: "antisocial" });
        expect(recorded.named("digitalocean-firewall-accessories").inputs.inboundRules).toEqual([
            { protocol: "tcp", portRange: "5432", sourceAddresses: ["10.10.0.0/20"] },
            { protocol: "tcp", portRange: "6379", sourceAddresses: ["10.10.0.0/20"] },
        ]);
        expect(recorded.named("antisocial-env-file-web-1").inputs.stdin).toMatch(/^CELERY_BROKER_URL=redis:\/\/:c@10\.10\.\d+\.\d+:6379\/0\nDATABASE_URL=postgres:\/\/antisocial:p@10\.10\.\d+\.\d+:5432\/antisocial\n/);
        expect(recorded.named("db-backups").inputs.create).toContain("rclone/rclone:1.68.2 copyto --s3-no-check-bucket");
    });
});
