import { ENV_KEY, ENV_KEY_RULE, NUL_RULE } from "./patterns";
import { ConfigReader, keyPath, kindOf } from "./reader";
import { AppSecrets } from "./types";

const ROOT = "berth:secrets";

/**
 * Reads `berth:secrets` (`{app or accessory: {KEY: value}}`) with the same rules as an
 * app's plain `env`, since both end up in its env file: names that are
 * environment variable names, values that are text without a NUL. A refusal
 * names the path and the kind of value (an object, a list), never the value.
 */
export function readSecrets(reader: ConfigReader, value: unknown, appNames: string[], accessoryNames: string[] = []): AppSecrets {
    if (value === undefined) {
        return {};
    }
    if (!isObject(value)) {
        reader.problem(ROOT, `must be an object of apps, each an object of settings: {app: {KEY: value}} (got ${kindOf(value)})`);
        return {};
    }
    const secrets: AppSecrets = {};
    for (const app of Object.keys(value).sort()) {
        const appPath = keyPath(ROOT, app);
        // Secrets for an app that does not exist are a typo: the app they were meant for gets none.
        if (!appNames.includes(app) && !accessoryNames.includes(app)) {
            reader.problem(appPath, accessoryNames.length === 0
                ? `names no app in berth:apps (known: ${appNames.join(", ") || "none"})`
                : `names no app in berth:apps or accessory in berth:accessories (known: ${[...appNames, ...accessoryNames].join(", ")})`);
        }
        const settings = value[app];
        if (!isObject(settings)) {
            reader.problem(appPath, `must be an object of settings {KEY: value} (got ${kindOf(settings)})`);
            continue;
        }
        secrets[app] = readSettings(reader, settings, appPath);
    }
    return secrets;
}

function readSettings(reader: ConfigReader, settings: Record<string, unknown>, appPath: string): Record<string, string> {
    const result: Record<string, string> = {};
    for (const key of Object.keys(settings).sort()) {
        const path = keyPath(appPath, key);
        const item = settings[key];
        if (!ENV_KEY.test(key)) {
            reader.problem(path, ENV_KEY_RULE);
        } else if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
            reader.problem(path, `must be a string (got ${kindOf(item)})`);
        } else if (String(item).includes("\0")) {
            reader.problem(path, NUL_RULE);
        } else {
            result[key] = String(item);
        }
    }
    return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}
