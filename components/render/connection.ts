import { ACCESSORY_PASSWORD_SECRET } from "../config/accessories";
import { AccessorySpec, AppAccessoryUse, AppSecrets, ConnectionPart } from "../config/types";
import { hostAndPort } from "./address";

/** What an app needs to reach one accessory over the private network. */
export interface AccessoryEndpoint {
    accessory: AccessorySpec;
    /** The data host's private address: where the accessory's port is published. */
    address: string;
    /** `berth:secrets.<accessory>.PASSWORD`, when it has one. */
    password?: string;
}

/**
 * The parts of an accessory's connection, as an app's settings hold them.
 * The URL carries the password (URL-encoded, like the user), so it is a
 * secret wherever it goes: berth writes it only into the 0600 env file.
 * Redis URLs name the app's database number (celery's broker and Django's
 * cache both read `redis://[:password@]host:port/db`).
 */
export function connectionParts(endpoint: AccessoryEndpoint, redisDatabase = 0): Partial<Record<ConnectionPart, string>> {
    const { accessory, address, password } = endpoint;
    const where = hostAndPort(address, accessory.port);
    switch (accessory.type) {
        case "postgres": {
            const credentials = `${encodeURIComponent(accessory.user)}${password ? `:${encodeURIComponent(password)}` : ""}@`;
            return {
                url: `postgres://${credentials}${where}/${encodeURIComponent(accessory.database)}`,
                host: address,
                port: String(accessory.port),
                user: accessory.user,
                database: accessory.database,
                ...(password ? { password } : {}),
            };
        }
        case "redis":
            return {
                url: `redis://${password ? `:${encodeURIComponent(password)}@` : ""}${where}/${redisDatabase}`,
                host: address,
                port: String(accessory.port),
                ...(password ? { password } : {}),
            };
        case "other":
            return { host: address, port: String(accessory.port) };
    }
}

/** The parts of one service's connection, for the Redis database number an app asked for. */
export type ConnectionSource = (redisDatabase: number) => Partial<Record<ConnectionPart, string>>;

/** A managed cluster's connection as DigitalOcean hands it out, in the parts an app's settings take. */
export interface ManagedConnectionValues {
    engine: "pg" | "valkey";
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
}

/**
 * A DigitalOcean managed cluster's parts: its private host, the app's own
 * user and database (PostgreSQL), and TLS in the URL, which DigitalOcean
 * requires: `sslmode=require`, and `rediss://` with `ssl_cert_reqs=required`
 * (celery refuses a rediss URL without it).
 */
export function managedConnectionParts(connection: ManagedConnectionValues, redisDatabase = 0): Partial<Record<ConnectionPart, string>> {
    const where = hostAndPort(connection.host, connection.port);
    const password = encodeURIComponent(connection.password);
    if (connection.engine === "pg") {
        return {
            url: `postgresql://${encodeURIComponent(connection.user)}:${password}@${where}/${encodeURIComponent(connection.database)}?sslmode=require`,
            host: connection.host, port: String(connection.port), user: connection.user, password: connection.password, database: connection.database,
        };
    }
    return {
        url: `rediss://${encodeURIComponent(connection.user)}:${password}@${where}/${redisDatabase}?ssl_cert_reqs=required`,
        host: connection.host, port: String(connection.port), password: connection.password,
    };
}

/**
 * The settings berth writes into an app's env file for the accessories it
 * names: each setting the part of the connection it asked for. Validation
 * made sure every part exists for its type (a password only where one is
 * set) and that no two settings collide.
 */
export function connectionSettings(uses: AppAccessoryUse[], sources: Record<string, ConnectionSource>): Record<string, string> {
    const settings: Record<string, string> = {};
    for (const use of uses) {
        const parts = sources[use.name](use.redisDatabase);
        for (const [key, part] of Object.entries(use.settings)) {
            const value = parts[part];
            if (value === undefined) {
                throw new Error(`berth: accessory ${use.name} has no ${part} for the setting ${key}`);
            }
            settings[key] = value;
        }
    }
    return settings;
}

/** An accessory's password from the stack's secrets, if it has one. */
export function accessoryPassword(accessory: AccessorySpec, secrets: AppSecrets): string | undefined {
    return secrets[accessory.name]?.[ACCESSORY_PASSWORD_SECRET] || undefined;
}
