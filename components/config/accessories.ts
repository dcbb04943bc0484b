import { checkHostReference, KnownHost } from "./hostReference";
import { ENV_KEY, ENV_KEY_RULE, IMAGE_REFERENCE_RULE, isImageReference, isPinnedImageReference, NAME, NAME_RULE } from "./patterns";
import { ConfigReader, describe, keyPath } from "./reader";
import {
    ACCESSORY_TYPES, AccessorySpec, AccessoryType, AppAccessoryUse, AppSecrets, AppSpec, BackupBucketSpec, BackupSpec, CONNECTION_PARTS, CONNECTION_PARTS_BY_TYPE, ConnectionPart,
    ManagedDatabaseSpec,
} from "./types";
import { createHash } from "node:crypto";

const ROOT = "berth:accessories";
const ACCESSORY_KEYS = [
    "name", "type", "image", "host", "port", "containerPort", "volume", "dataPath", "database", "user", "env", "command", "healthCheck",
    "memoryMb", "stopGraceSeconds", "backups",
] as const;
const BACKUP_KEYS = ["schedule", "keep", "bucket"] as const;
const BUCKET_KEYS = ["endpoint", "name", "region", "prefix", "clientImage"] as const;
/** One cron field: numbers, ranges, lists and steps (no names, nothing a shell would read). */
const CRON_FIELD = /^(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?)*$/;
/** An S3 bucket name. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_PREFIX = /^[A-Za-z0-9._\/-]{0,200}$/;
/** The secrets a backup upload signs with; kept out of the accessory's own /run/secrets. */
export const BACKUP_CREDENTIAL_SECRETS = ["BACKUP_ACCESS_KEY_ID", "BACKUP_SECRET_ACCESS_KEY"] as const;
export const DEFAULT_BACKUP_CLIENT_IMAGE = "rclone/rclone:1.68.2";
const PORT = { min: 1, max: 65535 };
/** A Docker volume name, as `docker volume create` takes it. */
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,62}$/;
/** An absolute container path of plain characters. */
const CONTAINER_PATH = /^\/[A-Za-z0-9_.\/-]*$/;
/** A PostgreSQL identifier berth can put in a URL and a health check unquoted. */
const POSTGRES_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const POSTGRES_NAME_RULE = "lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters";

/** What each type brings: the port it listens on, where it keeps its data, which secrets it needs. */
const TYPE_DEFAULTS: Record<Exclude<AccessoryType, "other">, { port: number; dataPath: string }> = {
    postgres: { port: 5432, dataPath: "/var/lib/postgresql/data" },
    redis: { port: 6379, dataPath: "/data" },
};

/** The secret every accessory of a type reads: PostgreSQL's user password (required), Redis's `requirepass` (optional). */
export const ACCESSORY_PASSWORD_SECRET = "PASSWORD";

/** The settings an app gets when it names an accessory without saying which. */
export const DEFAULT_CONNECTION_SETTINGS: Record<AccessoryType, Record<string, ConnectionPart>> = {
    postgres: { DATABASE_URL: "url" },
    redis: { REDIS_URL: "url" },
    other: {},
};

/** The type an image's name suggests: its last path segment, without tag or digest. */
export function accessoryTypeOf(image: string): AccessoryType {
    const name = image.split("@")[0].replace(/:[^/]*$/, "").split("/").pop() ?? "";
    if (/^postgres(ql)?$/.test(name)) {
        return "postgres";
    }
    return /^(redis|valkey)$/.test(name) ? "redis" : "other";
}

/**
 * Reads `berth:accessories`: each on a host with role `data`, a unique
 * name (apps and accessories share `berth:secrets`, so unique across both)
 * and its own port on its host.
 */
export function readAccessories(reader: ConfigReader, value: unknown, hosts: KnownHost[], production: boolean, appNames: string[]): AccessorySpec[] {
    const list = value === undefined ? [] : reader.array(value, ROOT);
    const seen = new Set<string>();
    const volumes = new Map<string, string>(); // "host volume" -> the accessory using it
    return list.map((item, index) => {
        const path = `${ROOT}[${index}]`;
        const accessory = readAccessory(reader, reader.object(item, path), path, hosts, production);
        if (seen.has(accessory.name)) {
            reader.problem(`${path}.name`, `duplicates accessory ${JSON.stringify(accessory.name)}; accessory names must be unique`);
        } else if (appNames.includes(accessory.name)) {
            reader.problem(`${path}.name`, `is the name of an app too: apps and accessories share berth:secrets.<name>, so their names must differ`);
        }
        seen.add(accessory.name);
        const volumeKey = `${accessory.host} ${accessory.volume}`;
        const other = volumes.get(volumeKey);
        if (accessory.volume && other !== undefined) {
            reader.problem(`${path}.volume`, `is the volume of accessory ${JSON.stringify(other)} on the same host: two services must never write one data directory`);
        }
        volumes.set(volumeKey, accessory.name);
        return accessory;
    });
}

function readAccessory(reader: ConfigReader, raw: Record<string, unknown>, path: string, hosts: KnownHost[], production: boolean): AccessorySpec {
    reader.knownKeys(raw, path, ACCESSORY_KEYS);
    const name = reader.string(raw.name, `${path}.name`);
    if (name && !NAME.test(name)) {
        reader.problem(`${path}.name`, `must be ${NAME_RULE} (got ${JSON.stringify(name)})`);
    }
    const image = reader.string(raw.image, `${path}.image`);
    if (image && !isImageReference(image)) {
        reader.problem(`${path}.image`, `must be ${IMAGE_REFERENCE_RULE} (got ${JSON.stringify(image)})`);
    } else if (image && production && !isPinnedImageReference(image)) {
        reader.problem(`${path}.image`, `must name a version in a production stack, like postgres:15.8-bookworm or redis:7.4 (got ${JSON.stringify(image)}): a moving tag could change the data's server on any host restart`);
    }
    const type = reader.oneOf(raw.type, `${path}.type`, ACCESSORY_TYPES, accessoryTypeOf(image));
    const host = reader.string(raw.host, `${path}.host`);
    if (host) {
        checkHostReference(reader, host, `${path}.host`, hosts, "data");
    }
    const defaults = type === "other" ? undefined : TYPE_DEFAULTS[type];
    const port = defaults ? reader.integer(raw.port, `${path}.port`, defaults.port, PORT) : requiredInteger(reader, raw.port, `${path}.port`, "the port it is published on, on its host's private address");
    const containerPort = reader.integer(raw.containerPort, `${path}.containerPort`, defaults?.port ?? port, PORT);
    const volume = reader.string(raw.volume, `${path}.volume`, name ? `berth-${name}-data` : "");
    if (volume && !VOLUME_NAME.test(volume)) {
        reader.problem(`${path}.volume`, `must be a Docker volume name: 2-63 letters, digits and _.-, starting with a letter or digit (got ${JSON.stringify(volume)})`);
    }
    const dataPath = defaults ? reader.string(raw.dataPath, `${path}.dataPath`, defaults.dataPath) : requiredDataPath(reader, raw.dataPath, `${path}.dataPath`);
    if (dataPath && (!CONTAINER_PATH.test(dataPath) || dataPath === "/" || dataPath.split("/").includes(".."))) {
        reader.problem(`${path}.dataPath`, `must be an absolute path in the container, of letters, digits and _.-/ without .. (got ${JSON.stringify(dataPath)})`);
    }
    const database = readPostgresName(reader, raw.database, `${path}.database`, type, name.replace(/-/g, "_"));
    const user = readPostgresName(reader, raw.user, `${path}.user`, type, name.replace(/-/g, "_"));
    const env = reader.stringMap(raw.env, `${path}.env`);
    for (const key of Object.keys(env)) {
        if (!ENV_KEY.test(key)) {
            reader.problem(keyPath(`${path}.env`, key), ENV_KEY_RULE);
        }
    }
    const command = raw.command === undefined ? [] : reader.stringList(raw.command, `${path}.command`);
    if (command.length > 0 && type !== "other") {
        reader.problem(`${path}.command`, `is set by berth for a ${type} accessory; only type other takes a command`);
    }
    const healthCheck = raw.healthCheck === undefined ? undefined : reader.string(raw.healthCheck, `${path}.healthCheck`);
    if (healthCheck !== undefined && type !== "other") {
        reader.problem(`${path}.healthCheck`, `is set by berth for a ${type} accessory; only type other takes a health check`);
    } else if (healthCheck && /[\0\n\r]/.test(healthCheck)) {
        reader.problem(`${path}.healthCheck`, "must be one line of shell, run in the container (CMD-SHELL)");
    }
    const backups = readBackups(reader, raw.backups, `${path}.backups`, type, name, production);
    return {
        name, type, image, host, port, containerPort, volume, dataPath, database, user, env, command,
        ...(healthCheck ? { healthCheck } : {}),
        memoryMb: reader.integer(raw.memoryMb, `${path}.memoryMb`, 1024, { min: 64, max: 262144 }),
        stopGraceSeconds: reader.integer(raw.stopGraceSeconds, `${path}.stopGraceSeconds`, 60, { min: 5, max: 600 }),
        ...(backups ? { backups } : {}),
    };
}

/** Daily at 03:MM, the minute taken from the name: accessories of one host do not all dump at once. */
function defaultSchedule(name: string): string {
    return `${createHash("sha256").update(name).digest()[0] % 60} 3 * * *`;
}

/**
 * `backups`: PostgreSQL only; `false` for none scheduled, else a schedule,
 * a retention count and optionally a bucket (its credentials are checked
 * with the secrets, in checkAccessoryUses).
 */
function readBackups(reader: ConfigReader, value: unknown, path: string, type: AccessoryType, name: string, production: boolean): BackupSpec | undefined {
    if (type !== "postgres") {
        if (value !== undefined) {
            reader.problem(path, `applies to a postgres accessory only (this one is ${type}${type === "redis" ? ": Redis keeps its append-only file on its volume" : ""})`);
        }
        return undefined;
    }
    if (value === false) {
        return { schedule: "", keep: 7 };
    }
    const raw = value === undefined || value === true ? {} : reader.object(value, path);
    reader.knownKeys(raw, path, BACKUP_KEYS);
    const schedule = reader.string(raw.schedule, `${path}.schedule`, defaultSchedule(name));
    const fields = schedule.trim().split(/\s+/);
    if (schedule !== "" && (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field)))) {
        reader.problem(`${path}.schedule`, `must be a cron schedule of 5 fields (minute hour day month weekday) of numbers, *, ranges, lists and /steps, like "15 3 * * *" (got ${JSON.stringify(schedule)})`);
    }
    const bucket = raw.bucket === undefined ? undefined : readBucket(reader, reader.object(raw.bucket, `${path}.bucket`), `${path}.bucket`, name, production);
    return {
        schedule: fields.join(" "),
        keep: reader.integer(raw.keep, `${path}.keep`, 7, { min: 1, max: 1000 }),
        ...(bucket ? { bucket } : {}),
    };
}

function readBucket(reader: ConfigReader, raw: Record<string, unknown>, path: string, name: string, production: boolean): BackupBucketSpec {
    reader.knownKeys(raw, path, BUCKET_KEYS);
    const endpoint = reader.string(raw.endpoint, `${path}.endpoint`);
    let url: URL | undefined;
    try {
        url = new URL(endpoint);
    } catch {
        url = undefined;
    }
    const schemes = production ? ["https:"] : ["https:", "http:"];
    if (endpoint && (!url || !schemes.includes(url.protocol) || url.username || url.password || url.search || url.hash || !/^[A-Za-z0-9.:\[\]-]+$/.test(url.host))) {
        reader.problem(`${path}.endpoint`, `must be an ${production ? "https://" : "https:// or http://"} URL of the S3 endpoint with no credentials, query or fragment, like https://fra1.digitaloceanspaces.com (got ${JSON.stringify(endpoint)})`);
    }
    const bucketName = reader.string(raw.name, `${path}.name`);
    if (bucketName && !BUCKET_NAME.test(bucketName)) {
        reader.problem(`${path}.name`, `must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-' (got ${JSON.stringify(bucketName)})`);
    }
    const region = reader.string(raw.region, `${path}.region`, "us-east-1");
    if (!/^[a-z0-9-]{2,40}$/.test(region)) {
        reader.problem(`${path}.region`, `must be a region name of lowercase letters, digits and '-' (got ${JSON.stringify(region)})`);
    }
    const prefix = reader.string(raw.prefix, `${path}.prefix`, `${name}/`);
    if (!BUCKET_PREFIX.test(prefix) || prefix.startsWith("/") || prefix.split("/").includes("..")) {
        reader.problem(`${path}.prefix`, `must be a key prefix of letters, digits and ._/-, not starting with / and without .. (got ${JSON.stringify(prefix)})`);
    }
    const clientImage = reader.string(raw.clientImage, `${path}.clientImage`, DEFAULT_BACKUP_CLIENT_IMAGE);
    if (!isImageReference(clientImage)) {
        reader.problem(`${path}.clientImage`, `must be ${IMAGE_REFERENCE_RULE} (got ${JSON.stringify(clientImage)})`);
    } else if (production && !isPinnedImageReference(clientImage)) {
        reader.problem(`${path}.clientImage`, `must name a version in a production stack (got ${JSON.stringify(clientImage)})`);
    }
    return { endpoint: endpoint.replace(/\/+$/, ""), name: bucketName, region, prefix, clientImage };
}

function requiredInteger(reader: ConfigReader, value: unknown, path: string, what: string): number {
    if (value === undefined) {
        reader.problem(path, `must be set for an accessory of type other: ${what}`);
        return 0;
    }
    return reader.integer(value, path, 0, PORT);
}

function requiredDataPath(reader: ConfigReader, value: unknown, path: string): string {
    if (value === undefined) {
        reader.problem(path, "must be set for an accessory of type other: where its data lives in the container (the volume is mounted there)");
        return "";
    }
    return reader.string(value, path);
}

function readPostgresName(reader: ConfigReader, value: unknown, path: string, type: AccessoryType, fallback: string): string {
    if (type !== "postgres") {
        if (value !== undefined) {
            reader.problem(path, `applies to a postgres accessory only (this one is ${type})`);
        }
        return "";
    }
    const text = reader.string(value, path, fallback);
    if (text && !POSTGRES_NAME.test(text)) {
        reader.problem(path, `must be ${POSTGRES_NAME_RULE} (got ${JSON.stringify(text)})`);
    }
    return text;
}

/**
 * `berth:apps[].accessories`: each an accessory's name (its type's default
 * settings), or `{name, settings: {KEY: part}, redisDatabase}`. The names are checked
 * against `berth:accessories` by checkAccessoryUses.
 */
export function readAppAccessories(reader: ConfigReader, value: unknown, path: string): AppAccessoryUse[] {
    if (value === undefined) {
        return [];
    }
    return reader.array(value, path).map((item, index) => {
        const itemPath = `${path}[${index}]`;
        if (typeof item === "string") {
            return { name: reader.string(item, itemPath), settings: {}, redisDatabase: 0 };
        }
        const raw = reader.object(item, itemPath);
        reader.knownKeys(raw, itemPath, ["name", "settings", "redisDatabase"]);
        const settings: Record<string, ConnectionPart> = {};
        const rawSettings = raw.settings === undefined ? {} : reader.object(raw.settings, `${itemPath}.settings`);
        for (const key of Object.keys(rawSettings).sort()) {
            const settingPath = keyPath(`${itemPath}.settings`, key);
            const part = rawSettings[key];
            if (!ENV_KEY.test(key)) {
                reader.problem(settingPath, ENV_KEY_RULE);
            } else if (typeof part !== "string" || !(CONNECTION_PARTS as readonly string[]).includes(part)) {
                reader.problem(settingPath, `must be one of ${CONNECTION_PARTS.join(", ")} (got ${describe(part)})`);
            } else {
                settings[key] = part as ConnectionPart;
            }
        }
        if (raw.settings !== undefined && Object.keys(rawSettings).length === 0) {
            reader.problem(`${itemPath}.settings`, "must name at least one setting, or be left out for the accessory type's default");
        }
        return {
            name: reader.string(raw.name, `${itemPath}.name`),
            settings,
            redisDatabase: reader.integer(raw.redisDatabase, `${itemPath}.redisDatabase`, 0, { min: 0, max: 15 }),
        };
    });
}

/**
 * Resolves each app's accessories against `berth:accessories` (filling in
 * the type's default settings) and checks what the env file will hold: a
 * known accessory, parts its type has, no setting berth writes that the
 * app's env or secrets set as well, and the secrets each accessory needs.
 */
export function checkAccessoryUses(reader: ConfigReader, apps: AppSpec[], accessories: AccessorySpec[], secrets: AppSecrets, production: boolean, managed: ManagedDatabaseSpec[] = []): void {
    // What an app may connect to: berth's accessories, and DigitalOcean's managed databases (their passwords come from DigitalOcean).
    const services = [
        ...accessories.map((accessory) => ({ name: accessory.name, type: accessory.type, managed: false })),
        ...managed.map((database) => ({ name: database.name, type: (database.engine === "pg" ? "postgres" : "redis") as AccessoryType, managed: true })),
    ];
    const known = services.map((service) => service.name).join(", ") || "none";
    const where = managed.length > 0 ? "berth:accessories or berth:digitalocean.databases" : "berth:accessories";
    managed.forEach((database, index) => {
        if (apps.some((app) => app.name === database.name) || accessories.some((accessory) => accessory.name === database.name)) {
            reader.problem(`berth:digitalocean.databases[${index}].name`, `is the name of an app or accessory too: an app's accessories name either, so the names must differ`);
        }
    });
    apps.forEach((app, appIndex) => {
        const written = new Map<string, string>(); // setting -> accessory writing it
        app.accessories.forEach((use, useIndex) => {
            const path = `berth:apps[${appIndex}].accessories[${useIndex}]`;
            const accessory = services.find((candidate) => candidate.name === use.name);
            if (!accessory) {
                if (use.name) {
                    reader.problem(path, `names no accessory in ${where} (known: ${known})`);
                }
                return;
            }
            if (use.redisDatabase !== 0 && accessory.type !== "redis") {
                reader.problem(`${path}.redisDatabase`, `applies to a redis accessory only (${JSON.stringify(accessory.name)} is ${accessory.type})`);
            }
            if (Object.keys(use.settings).length === 0) {
                use.settings = { ...DEFAULT_CONNECTION_SETTINGS[accessory.type] };
                if (accessory.type === "other") {
                    reader.problem(path, `must say which settings to write for accessory ${JSON.stringify(accessory.name)} (type other has no URL): {name: ${accessory.name}, settings: {KEY: host | port}}`);
                }
            }
            for (const [key, part] of Object.entries(use.settings)) {
                const settingPath = keyPath(`${path}.settings`, key);
                if (!CONNECTION_PARTS_BY_TYPE[accessory.type].includes(part)) {
                    reader.problem(settingPath, `a ${accessory.type} accessory has no ${part}; allowed: ${CONNECTION_PARTS_BY_TYPE[accessory.type].join(", ")}`);
                } else if (part === "password" && !accessory.managed && secrets[accessory.name]?.[ACCESSORY_PASSWORD_SECRET] === undefined) {
                    reader.problem(settingPath, `asks for the password of accessory ${JSON.stringify(accessory.name)}, which has none: set berth:secrets.${accessory.name}.${ACCESSORY_PASSWORD_SECRET}`);
                }
                const where = key in app.env ? `berth:apps[${appIndex}].env` : secrets[app.name]?.[key] !== undefined ? `berth:secrets.${app.name}` : undefined;
                if (where) {
                    reader.problem(settingPath, `is also set in ${where}: berth writes ${key} from accessory ${JSON.stringify(accessory.name)}; remove one of them`);
                }
                const other = written.get(key);
                if (other !== undefined) {
                    reader.problem(settingPath, `is written for accessory ${JSON.stringify(other)} too: give each accessory its own setting names`);
                }
                written.set(key, accessory.name);
            }
        });
    });
    accessories.forEach((accessory, index) => {
        if (accessory.type === "postgres" && !secrets[accessory.name]?.[ACCESSORY_PASSWORD_SECRET]) {
            reader.problem(`berth:secrets.${accessory.name || "<name>"}.${ACCESSORY_PASSWORD_SECRET}`,
                `must be set for the postgres accessory berth:accessories[${index}]: the password of its user ${JSON.stringify(accessory.user)} ` +
                `(pulumi config set --secret --path 'berth:secrets.${accessory.name}.${ACCESSORY_PASSWORD_SECRET}' ...)`);
        }
        if (accessory.backups?.bucket) {
            for (const secret of BACKUP_CREDENTIAL_SECRETS) {
                if (/[\r\n]/.test(secrets[accessory.name]?.[secret] ?? "")) {
                    reader.problem(`berth:secrets.${accessory.name}.${secret}`, "must be one line: the upload reads it from an env file");
                } else if (!secrets[accessory.name]?.[secret]) {
                    reader.problem(`berth:secrets.${accessory.name}.${secret}`, `must be set: berth:accessories[${index}].backups.bucket uploads to ${accessory.backups.bucket.name || "a bucket"} with it ` +
                        `(pulumi config set --secret --path 'berth:secrets.${accessory.name}.${secret}' ...)`);
                }
            }
        }
        if (accessory.type === "redis" && production && !secrets[accessory.name]?.[ACCESSORY_PASSWORD_SECRET]) {
            reader.problem(`berth:secrets.${accessory.name || "<name>"}.${ACCESSORY_PASSWORD_SECRET}`,
                `must be set for the redis accessory berth:accessories[${index}] in a production stack: Redis answers anyone who reaches its port without one ` +
                `(pulumi config set --secret --path 'berth:secrets.${accessory.name}.${ACCESSORY_PASSWORD_SECRET}' ...)`);
        }
    });
}
