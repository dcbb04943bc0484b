import { mkdirSync, writeFileSync } from "node:fs";
import os = require("node:os");
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../../components/config";
import { readStackConfig } from "../../../stacks";
import { temporaryDirectory } from "../../support/files";

/**
 * readStackConfig on Pulumi's whole config map (as `pulumi.runtime.allConfig()`
 * hands it over: every namespace, values as JSON text), without mocks.
 */

const scratch = temporaryDirectory("read-stack-config");
const keyFile = join(scratch, "id_ed25519");
writeFileSync(keyFile, "not-a-real-key\n");

/** A valid stack's config map, values serialized as Pulumi passes them to the program. */
function allConfig(overrides: Record<string, unknown> = {}): Record<string, string> {
    const config: Record<string, unknown> = {
        "berth:sshKeyPath": keyFile,
        "berth:hosts": [{ name: "web-1", address: "127.0.0.1", roles: ["web", "loadbalancer"] }],
        "berth:loadBalancer": { host: "web-1" },
        "berth:apps": [{ name: "sample", domain: "sample.localhost", image: { repository: "r/sample", tag: "v1" }, webPort: 8001, hosts: { web: ["web-1"] } }],
        "berth:secrets": { sample: { SECRET_KEY: "s3cret 'value'" } },
        // Other namespaces belong to providers and other programs.
        "digitalocean:token": "dop_v1_not_berths",
        "aws:region": "eu-central-1",
        ...overrides,
    };
    return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

function problemsOf(values: Record<string, string>): string[] {
    try {
        readStackConfig(values);
    } catch (error) {
        if (error instanceof ConfigError) {
            return error.problems.map((problem) => `${problem.propertyPath}: ${problem.reason}`);
        }
        throw error;
    }
    return [];
}

function resolved<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

describe("readStackConfig", () => {
    it("reads every berth:* key, leaves other namespaces alone, and hands the secrets on as a secret", async () => {
        const config = readStackConfig(allConfig({ "berth:production": "false" }));
        expect(config.spec.production).toBe(false);
        expect(config.spec.apps.map((app) => app.name)).toEqual(["sample"]);
        expect(config.sshKeyPath).toBe(keyFile);
        expect(await resolved(config.secrets)).toEqual({ sample: { SECRET_KEY: "s3cret 'value'" } });
        expect(await (config.secrets as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
    });

    it("refuses unknown berth:* keys with the allowed list", () => {
        expect(problemsOf(allConfig({ "berth:prodution": "true", "berth:secret": JSON.stringify({ sample: { SECRET_KEY: "x" } }) }))).toEqual([
            "berth:prodution: is not a known setting; allowed: berth:production, berth:sshKeyPath, berth:secrets, berth:hosts, berth:loadBalancer, berth:apps, berth:accessories, berth:tls, berth:digitalocean",
            "berth:secret: is not a known setting; allowed: berth:production, berth:sshKeyPath, berth:secrets, berth:hosts, berth:loadBalancer, berth:apps, berth:accessories, berth:tls, berth:digitalocean",
        ]);
    });

    it("says what is wrong with the key file, with its path, before anything is registered", () => {
        const missing = join(scratch, "missing");
        const purpose = "the private key file that reaches the hosts over SSH, on the machine running Pulumi";
        expect(problemsOf(allConfig({ "berth:sshKeyPath": missing }))).toEqual([`berth:sshKeyPath: no such file: ${missing}; must be ${purpose}`]);
        expect(problemsOf(allConfig({ "berth:sshKeyPath": join(keyFile, "below-a-file") }))).toEqual([`berth:sshKeyPath: no such file: ${join(keyFile, "below-a-file")}; must be ${purpose}`]);
        const directory = join(scratch, "keys");
        mkdirSync(directory);
        expect(problemsOf(allConfig({ "berth:sshKeyPath": directory }))).toEqual([`berth:sshKeyPath: is not a file: ${directory}; must be ${purpose}`]);
        expect(problemsOf(allConfig({ "berth:sshKeyPath": undefined }))).toEqual(["berth:sshKeyPath: must be set: the private key file that reaches the hosts over SSH"]);
        expect(problemsOf(allConfig({ "berth:sshKeyPath": `${keyFile}\n-oProxyCommand=x` }))).toEqual(["berth:sshKeyPath: must be a file path on one line, without NUL characters"]);
    });

    it("expands ~/ in the key path to the home directory", () => {
        const home = join(scratch, "home");
        mkdirSync(join(home, ".ssh"), { recursive: true });
        writeFileSync(join(home, ".ssh", "berth_deploy"), "not-a-real-key\n");
        const homedir = jest.spyOn(os, "homedir").mockReturnValue(home);
        try {
            expect(readStackConfig(allConfig({ "berth:sshKeyPath": "~/.ssh/berth_deploy" })).sshKeyPath).toBe(join(home, ".ssh", "berth_deploy"));
        } finally {
            homedir.mockRestore();
        }
    });

    it("reports the secrets' problems with everything else, never their values", () => {
        const error = (() => {
            try {
                readStackConfig(allConfig({
                    "berth:secrets": { sample: { SECRET_KEY: { value: "hunter2-nested" }, "BAD KEY": "hunter2-named", NUL: "hunter2\u0000" }, other: { A: "hunter2-other" } },
                    "berth:hosts": [{ name: "web-1", address: "127.0.0.1", sshUser: "root;id", roles: ["web", "loadbalancer"] }],
                }));
            } catch (caught) {
                return caught as ConfigError;
            }
            throw new Error("accepted");
        })();
        expect(error.problems.map((problem) => `${problem.propertyPath}: ${problem.reason}`)).toEqual([
            'berth:hosts[0].sshUser: must be a user name: lowercase letters, digits, \'_\' and \'-\', starting with a letter or \'_\', at most 32 characters (got "root;id")',
            "berth:secrets.other: names no app in berth:apps (known: sample)",
            'berth:secrets.sample["BAD KEY"]: is not a valid environment variable name: letters, digits and \'_\', not starting with a digit',
            "berth:secrets.sample.NUL: must not contain a NUL character: no shell variable can hold one",
            "berth:secrets.sample.SECRET_KEY: must be a string (got an object)",
        ]);
        expect(error.message).not.toContain("hunter2");
    });
});
