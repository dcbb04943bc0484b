import { ConfigProblem } from "./errors";
import { NUL_RULE } from "./patterns";

/**
 * The config path of a key inside an object: `path.key`, or `path["key"]`
 * (the form `pulumi config set --path` takes) when the key is not a plain
 * word, so a hostile key shows as what it is and cannot break the message.
 */
export function keyPath(path: string, key: string): string {
    return /^[A-Za-z0-9_-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Reads untyped config values at a path, recording a problem (and returning
 * a harmless fallback) instead of throwing, so every problem of a config is
 * reported in one run.
 */
export class ConfigReader {
    readonly problems: ConfigProblem[] = [];

    problem(propertyPath: string, reason: string): void {
        this.problems.push({ propertyPath, reason });
    }

    object(value: unknown, path: string): Record<string, unknown> {
        if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            return value as Record<string, unknown>;
        }
        this.problem(path, `must be an object (got ${describe(value)})`);
        return {};
    }

    /** Reports keys the schema does not know: typos must not pass silently. */
    knownKeys(value: Record<string, unknown>, path: string, allowed: readonly string[]): void {
        for (const key of Object.keys(value).sort()) {
            if (!allowed.includes(key)) {
                this.problem(keyPath(path, key), `is not a known setting; allowed: ${allowed.join(", ")}`);
            }
        }
    }

    array(value: unknown, path: string): unknown[] {
        if (Array.isArray(value)) {
            return value;
        }
        this.problem(path, `must be a list (got ${describe(value)})`);
        return [];
    }

    string(value: unknown, path: string, fallback?: string): string {
        if (value === undefined && fallback !== undefined) {
            return fallback;
        }
        if (typeof value === "string" && value.trim() !== "") {
            return value;
        }
        this.problem(path, `must be a non-empty string (got ${describe(value)})`);
        return "";
    }

    stringList(value: unknown, path: string, fallback?: string[]): string[] {
        if (value === undefined && fallback !== undefined) {
            return fallback;
        }
        return this.array(value, path).map((item, index) => this.string(item, `${path}[${index}]`));
    }

    integer(value: unknown, path: string, fallback: number, range: { min: number; max: number }): number {
        if (value === undefined) {
            return fallback;
        }
        const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
        if (typeof number === "number" && Number.isInteger(number) && number >= range.min && number <= range.max) {
            return number;
        }
        this.problem(path, `must be an integer from ${range.min} to ${range.max} (got ${describe(value)})`);
        return fallback;
    }

    boolean(value: unknown, path: string, fallback: boolean): boolean {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value === "boolean") {
            return value;
        }
        if (value === "true" || value === "false") {
            return value === "true";
        }
        this.problem(path, `must be true or false (got ${describe(value)})`);
        return fallback;
    }

    oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback: T): T {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
            return value as T;
        }
        this.problem(path, `must be one of ${allowed.join(", ")} (got ${describe(value)})`);
        return fallback;
    }

    /**
     * An object of string values (numbers and booleans as their text): the
     * settings of an env file. A value may hold anything the file can quote,
     * which is everything but a NUL.
     */
    stringMap(value: unknown, path: string): Record<string, string> {
        if (value === undefined) {
            return {};
        }
        const map = this.object(value, path);
        const result: Record<string, string> = {};
        for (const key of Object.keys(map).sort()) {
            const item = map[key];
            if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
                const text = String(item);
                if (text.includes("\0")) {
                    this.problem(keyPath(path, key), NUL_RULE);
                } else {
                    result[key] = text;
                }
            } else {
                this.problem(keyPath(path, key), `must be a string (got ${describe(item)})`);
            }
        }
        return result;
    }
}

/** What a refusal says a value was: its kind, and for plain values the value itself. */
export function describe(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    if (Array.isArray(value)) {
        return "a list";
    }
    if (value === null) {
        return "null";
    }
    return typeof value === "object" ? "an object" : JSON.stringify(value);
}

/** A value's kind only ("a string", "a list", ...): what a refusal of a secret may say about it. */
export function kindOf(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    if (value === null) {
        return "null";
    }
    if (Array.isArray(value)) {
        return "a list";
    }
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
