import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets, BerthSpec, ConfigError, RawConfig, validateStackConfig } from "../components/config";

const NAMESPACE = "berth:";

/** Everything a berth stack reads from its `berth:*` config keys. */
export interface StackConfig {
    spec: BerthSpec;
    /** Private key file the deploying machine reaches the hosts with: `~/` expanded, checked readable. */
    sshKeyPath: string;
    /** Per app, secret settings (`berth:secrets`), merged into the app's env file. Validated; a secret Output. */
    secrets: pulumi.Output<AppSecrets>;
    /** The PEM at `berth:tls.acme.caCertificatesFile`, read and checked, when set and any app uses the ACME CA. */
    acmeDirectoryCa?: string;
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
    const caFile = spec.tls.acme.caCertificatesFile;
    const acmeDirectoryCa = caFile && spec.apps.some((app) => app.tls.mode === "acme") ? readCaCertificates(caFile) : undefined;
    return { spec, sshKeyPath: expandHome(sshKeyPath), secrets: pulumi.secret(secrets), ...(acmeDirectoryCa ? { acmeDirectoryCa } : {}) };
}

/** The ACME directory's CA bundle: a readable file of PEM certificates, or a ConfigError naming the key. */
function readCaCertificates(configuredPath: string): string {
    const path = resolve(expandHome(configuredPath));
    const propertyPath = "berth:tls.acme.caCertificatesFile";
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ConfigError([{ propertyPath, reason: `cannot be read (${code ?? String(error)}): ${path}; must be a PEM file of the CA that signed the ACME directory's HTTPS certificate` }]);
    }
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(text) || /PRIVATE KEY-----/.test(text)) {
        throw new ConfigError([{ propertyPath, reason: `${path} must hold PEM certificates (-----BEGIN CERTIFICATE-----) and no private key` }]);
    }
    return text;
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
