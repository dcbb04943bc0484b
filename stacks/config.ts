import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets, BerthSpec, RawConfig, validateStackConfig } from "../components/config";

const NAMESPACE = "berth:";

/** Everything a berth stack reads from its `berth:*` config keys. */
export interface StackConfig {
    spec: BerthSpec;
    /** Private key file the deploying machine reaches the hosts with: `~/` expanded, checked readable. */
    sshKeyPath: string;
    /** Per app, secret settings (`berth:secrets`), merged into the app's env file. Validated; a secret Output. */
    secrets: pulumi.Output<AppSecrets>;
}

/**
 * Reads and validates the stack's config once, before any resource is
 * registered: every key of the `berth` namespace (an unknown one is a typo
 * that must not pass silently), the secrets and the key file. A bad config
 * fails here with every problem listed, and nothing on any host changes.
 *
 * `values` is Pulumi's whole config map (`berth:hosts` → its JSON text),
 * secrets decrypted: they are validated as plain values, never named in an
 * error, and handed on only as a secret Output.
 */
export function readStackConfig(values: Record<string, string> = pulumi.runtime.allConfig()): StackConfig {
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(values)) {
        if (key.startsWith(NAMESPACE)) {
            raw[key.slice(NAMESPACE.length)] = parseConfigValue(value);
        }
    }
    const { spec, sshKeyPath, secrets } = validateStackConfig(raw, keyFileProblem);
    return { spec, sshKeyPath: expandHome(sshKeyPath), secrets: pulumi.secret(secrets) };
}

/** As `Config.getObject` reads a value: JSON when it parses, the plain text otherwise (a string key). */
function parseConfigValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

function expandHome(path: string): string {
    return path.replace(/^~(?=\/)/, homedir());
}

/** Whether the key file can be read on this machine: said now, with its path, instead of a raw ENOENT mid-deploy. */
function keyFileProblem(configuredPath: string): string | undefined {
    const path = resolve(expandHome(configuredPath));
    const purpose = "the private key file that reaches the hosts over SSH, on the machine running Pulumi";
    try {
        if (!statSync(path).isFile()) {
            return `is not a file: ${path}; must be ${purpose}`;
        }
        accessSync(path, constants.R_OK);
        return undefined;
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
            return `no such file: ${path}; must be ${purpose}`;
        }
        return `cannot be read (${code ?? String(error)}): ${path}; must be ${purpose}`;
    }
}
