// berth:accessories and berth:apps[].accessories: what a valid config
// becomes, and each kind of bad input refused at its path.
import { RawConfig, validateConfig } from "../../../components/config";
import { accessoryTypeOf } from "../../../components/config/accessories";
import { problemsOf } from "../../support/configProblems";
import { digitalOceanConfig } from "../../support/digitalOceanConfig";
import { labHostsConfig } from "../../support/labHosts";

function configWithAccessories(): RawConfig & { accessories: Record<string, unknown>[]; apps: Record<string, unknown>[] } {
    return {
        hosts: [...labHostsConfig(), { name: "data-1", address: "127.0.0.1", sshPort: 2205, privateAddress: "172.30.0.15", roles: ["data"] }],
        loadBalancer: { host: "lb-1" },
        tls: { acme: { email: "ops@example.com" } },
        apps: [{
            name: "shop",
            domain: "shop.localhost",
            image: { repository: "127.0.0.1:5000/shop", tag: "v1" },
            webPort: 8001,
            hosts: { web: ["web-1"], worker: ["worker-1"] },
            env: { DJANGO_SETTINGS_MODULE: "shop.settings" },
            accessories: ["db", { name: "cache", settings: { CELERY_BROKER_URL: "url" } }],
        }],
        accessories: [
            { name: "db", image: "postgres:15.8-bookworm", host: "data-1" },
            { name: "cache", image: "redis:7.4", host: "data-1" },
        ],
        secrets: { db: { PASSWORD: "db-password" } },
    };
}

describe("berth:accessories", () => {
    it("fills in each type's port, data path, volume, database and user, and the apps' default settings", () => {
        const spec = validateConfig(configWithAccessories());
        expect(spec.accessories).toEqual([
            {
                name: "db", type: "postgres", image: "postgres:15.8-bookworm", host: "data-1", port: 5432, containerPort: 5432,
                volume: "berth-db-data", dataPath: "/var/lib/postgresql/data", database: "db", user: "db", env: {}, command: [],
                memoryMb: 1024, stopGraceSeconds: 60,
                // Daily, at a minute of its own (from the name), the newest 7 kept on the data host.
                backups: { schedule: "3 3 * * *", keep: 7 },
            },
            {
                name: "cache", type: "redis", image: "redis:7.4", host: "data-1", port: 6379, containerPort: 6379,
                volume: "berth-cache-data", dataPath: "/data", database: "", user: "", env: {}, command: [],
                memoryMb: 1024, stopGraceSeconds: 60,
            },
        ]);
        expect(spec.apps[0].accessories).toEqual([
            { name: "db", settings: { DATABASE_URL: "url" }, redisDatabase: 0 },
            { name: "cache", settings: { CELERY_BROKER_URL: "url" }, redisDatabase: 0 },
        ]);
    });

    it("tells the type from the image's name, registry and digest aside", () => {
        expect(["postgres:16", "172.30.0.2:5000/berth/postgres:15", "docker.io/library/postgresql@sha256:" + "a".repeat(64), "redis", "valkey/valkey:8", "ghcr.io/x/memcached:1"].map(accessoryTypeOf))
            .toEqual(["postgres", "postgres", "postgres", "redis", "redis", "other"]);
    });

    it("takes any image as type other, with its port, data path, command and health check", () => {
        const raw = configWithAccessories();
        raw.accessories.push({ name: "search", image: "getmeili/meilisearch:v1.8", host: "data-1", port: 7700, dataPath: "/meili_data", command: ["meilisearch", "--no-analytics"], healthCheck: "curl -fs http://127.0.0.1:7700/health" });
        raw.apps[0].accessories = ["db", { name: "search", settings: { SEARCH_HOST: "host", SEARCH_PORT: "port" } }];
        const spec = validateConfig(raw);
        expect(spec.accessories[2]).toMatchObject({ type: "other", port: 7700, containerPort: 7700, dataPath: "/meili_data", volume: "berth-search-data", command: ["meilisearch", "--no-analytics"], healthCheck: "curl -fs http://127.0.0.1:7700/health" });
        expect(spec.apps[0].accessories[1]).toEqual({ name: "search", settings: { SEARCH_HOST: "host", SEARCH_PORT: "port" }, redisDatabase: 0 });
    });

    it("refuses what the issue lists, each at its path, all at once", () => {
        const raw = configWithAccessories();
        raw.apps[0].accessories = ["db", "queue"];
        raw.accessories.push({ name: "db2", image: "postgres:15", host: "data-1", port: 5432 });
        raw.accessories.push({ name: "elsewhere", image: "redis:7", host: "worker-1", port: 6380 });
        raw.secrets = {};
        expect(problemsOf(raw)).toEqual([
            'berth:accessories[3].host: host "worker-1" lacks the role "data" (it has: worker, beat)',
            'berth:accessories[2].port: port 5432 on host "data-1" is already used by accessory "db"; give the accessory another port',
            "berth:apps[0].accessories[1]: names no accessory in berth:accessories (known: db, cache, db2, elsewhere)",
            `berth:secrets.db.PASSWORD: must be set for the postgres accessory berth:accessories[0]: the password of its user "db" (pulumi config set --secret --path 'berth:secrets.db.PASSWORD' ...)`,
            `berth:secrets.db2.PASSWORD: must be set for the postgres accessory berth:accessories[2]: the password of its user "db2" (pulumi config set --secret --path 'berth:secrets.db2.PASSWORD' ...)`,
        ]);
    });

    it("refuses names, volumes and settings that would collide", () => {
        const raw = configWithAccessories();
        raw.accessories.push({ name: "shop", image: "redis:7", host: "data-1", port: 6380, volume: "berth-cache-data" });
        raw.apps[0].env = { DJANGO_SETTINGS_MODULE: "shop.settings", DATABASE_URL: "postgres://elsewhere/shop" };
        raw.apps[0].accessories = ["db", { name: "cache", settings: { DATABASE_URL: "url", REDIS_PASSWORD: "password", CACHE_USER: "user" } }];
        expect(problemsOf(raw)).toEqual([
            "berth:accessories[2].name: is the name of an app too: apps and accessories share berth:secrets.<name>, so their names must differ",
            'berth:accessories[2].volume: is the volume of accessory "cache" on the same host: two services must never write one data directory',
            "berth:apps[0].accessories[0].settings.DATABASE_URL: is also set in berth:apps[0].env: berth writes DATABASE_URL from accessory \"db\"; remove one of them",
            "berth:apps[0].accessories[1].settings.CACHE_USER: a redis accessory has no user; allowed: url, host, port, password",
            "berth:apps[0].accessories[1].settings.DATABASE_URL: is also set in berth:apps[0].env: berth writes DATABASE_URL from accessory \"cache\"; remove one of them",
            'berth:apps[0].accessories[1].settings.DATABASE_URL: is written for accessory "db" too: give each accessory its own setting names',
            'berth:apps[0].accessories[1].settings.REDIS_PASSWORD: asks for the password of accessory "cache", which has none: set berth:secrets.cache.PASSWORD',
        ]);
    });

    it("refuses bad values with what is allowed", () => {
        const raw = configWithAccessories();
        raw.accessories = [
            { name: "db", image: "postgres:15", host: "data-1", database: "Shop-DB", user: "x;drop", volume: "/var/lib/x", dataPath: "../etc", memoryMb: 8, colour: "blue" },
            { name: "cache", image: "redis:7", host: "data-1", database: "zero", command: ["redis-server"] },
            { name: "thing", image: "example/thing:1", host: "data-1" },
        ];
        raw.apps[0].accessories = [{ name: "thing" }, { name: "db", settings: { DATABASE_URL: "uri" } }, { name: "cache", settings: {} }];
        expect(problemsOf(raw)).toEqual([
            'berth:apps[0].accessories[1].settings.DATABASE_URL: must be one of url, host, port, user, password, database (got "uri")',
            'berth:apps[0].accessories[2].settings: must name at least one setting, or be left out for the accessory type\'s default',
            "berth:accessories[0].colour: is not a known setting; allowed: name, type, image, host, port, containerPort, volume, dataPath, database, user, env, command, healthCheck, memoryMb, stopGraceSeconds, backups",
            'berth:accessories[0].volume: must be a Docker volume name: 2-63 letters, digits and _.-, starting with a letter or digit (got "/var/lib/x")',
            'berth:accessories[0].dataPath: must be an absolute path in the container, of letters, digits and _.-/ without .. (got "../etc")',
            `berth:accessories[0].database: must be lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters (got "Shop-DB")`,
            `berth:accessories[0].user: must be lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters (got "x;drop")`,
            "berth:accessories[0].memoryMb: must be an integer from 64 to 262144 (got 8)",
            "berth:accessories[1].database: applies to a postgres accessory only (this one is redis)",
            "berth:accessories[1].command: is set by berth for a redis accessory; only type other takes a command",
            "berth:accessories[2].port: must be set for an accessory of type other: the port it is published on, on its host's private address",
            "berth:accessories[2].dataPath: must be set for an accessory of type other: where its data lives in the container (the volume is mounted there)",
            'berth:apps[0].accessories[0]: must say which settings to write for accessory "thing" (type other has no URL): {name: thing, settings: {KEY: host | port}}',
        ]);
    });

    it("in production: versioned images and a password for Redis too", () => {
        const raw = configWithAccessories();
        raw.production = true;
        raw.accessories[0].image = "postgres:latest";
        expect(problemsOf(raw).filter((problem) => problem.startsWith("berth:accessories") || problem.startsWith("berth:secrets.cache"))).toEqual([
            'berth:accessories[0].image: must name a version in a production stack, like postgres:15.8-bookworm or redis:7.4 (got "postgres:latest"): a moving tag could change the data\'s server on any host restart',
            "berth:secrets.cache.PASSWORD: must be set for the redis accessory berth:accessories[1] in a production stack: Redis answers anyone who reaches its port without one (pulumi config set --secret --path 'berth:secrets.cache.PASSWORD' ...)",
        ]);
    });

    describe("backups", () => {
        it("take a schedule, a retention count and a bucket whose keys are secrets", () => {
            const raw = configWithAccessories();
            raw.accessories[0].backups = { schedule: "*/30 1-5 * * 1,3", keep: 14, bucket: { endpoint: "https://fra1.digitaloceanspaces.com/", name: "shop-backups" } };
            raw.secrets = { db: { PASSWORD: "p", BACKUP_ACCESS_KEY_ID: "id", BACKUP_SECRET_ACCESS_KEY: "key" } };
            expect(validateConfig(raw).accessories[0].backups).toEqual({
                schedule: "*/30 1-5 * * 1,3",
                keep: 14,
                bucket: { endpoint: "https://fra1.digitaloceanspaces.com", name: "shop-backups", region: "us-east-1", prefix: "db/", clientImage: "rclone/rclone:1.68.2" },
            });
            raw.accessories[0].backups = false;
            expect(validateConfig(raw).accessories[0].backups).toEqual({ schedule: "", keep: 7 });
        });

        it("refuse a bad schedule, a bucket without credentials, and backups of Redis", () => {
            const raw = configWithAccessories();
            raw.accessories[0].backups = { schedule: "@daily; rm -rf /", keep: 0, bucket: { endpoint: "ftp://user:pw@example.com", name: "No_Such" } };
            raw.accessories[1].backups = { keep: 3 };
            expect(problemsOf(raw)).toEqual([
                'berth:accessories[0].backups.schedule: must be a cron schedule of 5 fields (minute hour day month weekday) of numbers, *, ranges, lists and /steps, like "15 3 * * *" (got "@daily; rm -rf /")',
                'berth:accessories[0].backups.bucket.endpoint: must be an https:// or http:// URL of the S3 endpoint with no credentials, query or fragment, like https://fra1.digitaloceanspaces.com (got "ftp://user:pw@example.com")',
                `berth:accessories[0].backups.bucket.name: must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-' (got "No_Such")`,
                "berth:accessories[0].backups.keep: must be an integer from 1 to 1000 (got 0)",
                "berth:accessories[1].backups: applies to a postgres accessory only (this one is redis: Redis keeps its append-only file on its volume)",
                "berth:secrets.db.BACKUP_ACCESS_KEY_ID: must be set: berth:accessories[0].backups.bucket uploads to No_Such with it (pulumi config set --secret --path 'berth:secrets.db.BACKUP_ACCESS_KEY_ID' ...)",
                "berth:secrets.db.BACKUP_SECRET_ACCESS_KEY: must be set: berth:accessories[0].backups.bucket uploads to No_Such with it (pulumi config set --secret --path 'berth:secrets.db.BACKUP_SECRET_ACCESS_KEY' ...)",
            ]);
        });
    });

    describe("DigitalOcean managed databases", () => {
        it("are named by apps like accessories, their passwords coming from DigitalOcean", () => {
            const raw = digitalOceanConfig({ digitalocean: { databases: [{ name: "main-db" }, { name: "broker", engine: "valkey", size: "db-s-2vcpu-4gb", nodeCount: 2 }] } });
            (raw.apps as Record<string, unknown>[])[0].accessories = [{ name: "main-db", settings: { DATABASE_PASSWORD: "password", DATABASE_HOST: "host" } }, "broker"];
            const spec = validateConfig(raw);
            expect(spec.digitalocean?.databases).toEqual([
                { name: "main-db", engine: "pg", version: "16", size: "db-s-1vcpu-1gb", nodeCount: 1 },
                { name: "broker", engine: "valkey", version: "8", size: "db-s-2vcpu-4gb", nodeCount: 2 },
            ]);
            expect(spec.apps[0].accessories[1].settings).toEqual({ REDIS_URL: "url" });
        });

        it("refuse an unknown engine, a bad version, a name taken, an app naming one that does not exist", () => {
            const raw = digitalOceanConfig({ digitalocean: { databases: [{ name: "antisocial", engine: "mysql", version: "latest", nodeCount: 5 }] } });
            (raw.apps as Record<string, unknown>[])[0].accessories = ["main-db"];
            expect(problemsOf(raw)).toEqual([
                'berth:digitalocean.databases[0].engine: must be one of pg, valkey (got "mysql")',
                'berth:digitalocean.databases[0].version: must be a major version like 16 (got "latest")',
                "berth:digitalocean.databases[0].nodeCount: must be an integer from 1 to 3 (got 5)",
                "berth:digitalocean.databases[0].name: is the name of an app or accessory too: an app's accessories name either, so the names must differ",
                "berth:apps[0].accessories[0]: names no accessory in berth:accessories or berth:digitalocean.databases (known: antisocial)",
            ]);
        });
    });
});
