// The program under mocks with berth:accessories: what the data host gets,
// where the secrets go, and what the apps wait for.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deployStack, readStackConfig } from "../../../stacks";
import { temporaryDirectory } from "../../support/files";
import { isSecret, MOCKED_RUN_TIMEOUT_MS, RecordedProgram, recordProgram, sharedRuns, mockHostKeyScanner } from "../../support/pulumiMocks";

jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

const keyDirectory = temporaryDirectory("keys");
const sshKeyPath = join(keyDirectory, "id_ed25519");
writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");

const DATABASE_PASSWORD = "db pass/with:@%-chars";
const CACHE_PASSWORD = "cache\"pass\\word";

function config(): Record<string, unknown> {
    return {
        "berth:sshKeyPath": sshKeyPath,
        "berth:hosts": [
            { name: "web-1", address: "127.0.0.1", sshPort: 2201, privateAddress: "172.30.0.11", roles: ["web"] },
            { name: "worker-1", address: "127.0.0.1", sshPort: 2203, privateAddress: "172.30.0.13", roles: ["worker", "beat"] },
            { name: "lb-1", address: "127.0.0.1", sshPort: 2204, privateAddress: "172.30.0.14", roles: ["loadbalancer"] },
            { name: "data-1", address: "127.0.0.1", sshPort: 2205, privateAddress: "fd00::15", roles: ["data"] },
        ],
        "berth:loadBalancer": { host: "lb-1", publicPort: 8080 },
        "berth:apps": [{
            name: "shop",
            domain: "shop.localhost",
            image: { repository: "172.30.0.2:5000/shop", tag: "v1" },
            webPort: 8001,
            hosts: { web: ["web-1"], worker: ["worker-1"] },
            env: { DJANGO_SETTINGS_MODULE: "shop.settings" },
            accessories: ["db", { name: "cache", settings: { CELERY_BROKER_URL: "url", REDIS_HOST: "host" }, redisDatabase: 2 }],
        }],
        "berth:accessories": [
            { name: "db", image: "postgres:15.8-bookworm", host: "data-1", database: "shop", user: "shop", memoryMb: 2048 },
            { name: "cache", image: "redis:7.4", host: "data-1", port: 6380 },
        ],
        "berth:secrets": { shop: { SECRET_KEY: "k" }, db: { PASSWORD: DATABASE_PASSWORD }, cache: { PASSWORD: CACHE_PASSWORD } },
    };
}

const deploy = sharedRuns(async (raw: Record<string, unknown>): Promise<RecordedProgram> =>
    (await recordProgram(raw, ["berth:secrets"], () => deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner }))).recorded);

describe("accessories under mocks", () => {
    let program: RecordedProgram;
    beforeAll(async () => {
        program = await deploy(config());
    });

    it("runs each on its data host: pulled, its volume kept by destroy, published on the private address only", () => {
        const db = program.named("db-container").inputs;
        expect(db).toMatchObject({
            name: "accessory_db",
            image: "postgres:15.8-bookworm",
            envs: ["PGDATA=/var/lib/postgresql/data", "POSTGRES_DB=shop", "POSTGRES_PASSWORD_FILE=/run/secrets/PASSWORD", "POSTGRES_USER=shop"],
            ports: [{ internal: 5432, external: 5432, ip: "fd00::15" }],
            volumes: [
                { volumeName: "berth-db-data", containerPath: "/var/lib/postgresql/data" },
                { hostPath: "/srv/berth/accessories/db/secrets", containerPath: "/run/secrets", readOnly: true },
            ],
            healthcheck: { tests: ["CMD-SHELL", "pg_isready -q -h 127.0.0.1 -p 5432 -U shop -d shop"] },
            wait: true,
            restart: "unless-stopped",
            memory: 2048,
            memorySwap: 2048,
            destroyGraceSeconds: 60,
        });
        expect(program.named("cache-container").inputs).toMatchObject({
            name: "accessory_cache",
            ports: [{ internal: 6379, external: 6380, ip: "fd00::15" }],
            healthcheck: { tests: ["CMD-SHELL", "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q -e PONG -e NOAUTH"] },
        });
        // Redis runs the image's entrypoint with berth's config file (without it, no password and no AOF).
        expect(program.named("cache-container").inputs.command).toEqual(["redis-server", "/run/secrets/redis.conf"]);
        expect(program.named("db-container").inputs.command).toBeUndefined();
        expect(program.named("db-volume").inputs).toMatchObject({ name: "berth-db-data" });
        expect(program.ofType("docker:index/volume:Volume").map((volume) => [volume.name, volume.retainOnDelete])).toEqual([["db-volume", true], ["cache-volume", true]]);
        expect(program.named("db-container").retainOnDelete).toBe(false);
        expect(program.waitsFor("db-container", "db-secrets")).toBe(true);
        expect(program.waitsFor("db-container", "db-version-check")).toBe(true);
        expect(program.waitsFor("db-container", "db-image")).toBe(true);
        expect(program.named("db-version-check").inputs.triggers).toEqual(["postgres:15.8-bookworm", "berth-db-data"]);
        expect(() => program.named("cache-version-check")).toThrow(/no resource named/);
    });

    it("puts the passwords only in secret stdin: files for the server, the env file for the app", () => {
        const files = (name: string) => Object.fromEntries((program.named(`${name}-secrets`).inputs.stdin as string).trim().split("\n")
            .map((line) => line.split(" ")).map(([file, value]) => [file, Buffer.from(value, "base64").toString("utf8")]));
        expect(files("db")).toEqual({ PASSWORD: DATABASE_PASSWORD });
        expect(Object.keys(files("cache"))).toEqual(["PASSWORD", "redis.conf"]);
        expect(files("cache")["redis.conf"]).toContain('\nrequirepass "cache\\x22pass\\x5cword"\n');
        for (const name of ["db-secrets", "cache-secrets", "shop-env-file-web-1", "shop-env-file-worker-1"]) {
            expect([name, isSecret(program.named(name).wireInputs.stdin)]).toEqual([name, true]);
        }
        const envFile = program.named("shop-env-file-web-1").inputs.stdin as string;
        expect(envFile).toBe([
            `CELERY_BROKER_URL='redis://:cache%22pass%5Cword@[fd00::15]:6380/2'`,
            `DATABASE_URL='postgres://shop:db%20pass%2Fwith%3A%40%25-chars@[fd00::15]:5432/shop'`,
            "DJANGO_SETTINGS_MODULE=shop.settings",
            "REDIS_HOST=fd00::15",
            "SECRET_KEY=k",
            "",
        ].join("\n"));
        // As typed, the passwords are nowhere (the files are base64, the URLs encoded); encoded, only in the env files.
        const holding = (text: string) => program.resources.filter((resource) => JSON.stringify(resource.inputs).includes(text)).map((resource) => resource.name).sort();
        expect([holding(DATABASE_PASSWORD), holding(JSON.stringify(CACHE_PASSWORD).slice(1, -1))]).toEqual([[], []]);
        expect(holding("db%20pass")).toEqual(["shop-env-file-web-1", "shop-env-file-worker-1"]);
    });

    it("starts the app's containers only once the accessories it uses are healthy", () => {
        for (const host of ["web-1", "worker-1"]) {
            expect(program.waitsFor(`shop-env-file-${host}`, "db-container")).toBe(true);
            expect(program.waitsFor(`shop-env-file-${host}`, "cache-container")).toBe(true);
        }
        // And never the other way round: an app's deploy or rollback does not touch its data services.
        expect(program.waitsFor("db-container", "shop-env-file-web-1")).toBe(false);
    });
});
