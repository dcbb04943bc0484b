import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../../components/config";
import { deployStack, readStackConfig } from "../../../stacks";
import { temporaryDirectory } from "../../support/files";
import { isSecret, MOCKED_RUN_TIMEOUT_MS, RecordedProgram, recordProgram, mockHostKeyScanner } from "../../support/pulumiMocks";

// Whole-program runs under mocks: slow on a loaded machine, so bounded generously (see MOCKED_RUN_TIMEOUT_MS).
jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

/**
 * Hostile configs through the whole program, as `pulumi up` runs it (index.ts:
 * deployStack(readStackConfig())): each is refused with a ConfigError naming
 * its path, and the engine never hears of a single resource.
 */

const scratch = temporaryDirectory("program-config");
const sshKeyPath = join(scratch, "id_ed25519");
writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");

const SECRET_VALUE = "TOPSECRET-do-not-print-me";

function labStack(): Record<string, any> {
    return {
        "berth:sshKeyPath": sshKeyPath,
        "berth:hosts": [
            { name: "web-1", address: "127.0.0.1", sshPort: 2201, privateAddress: "172.30.0.11", roles: ["web"] },
            { name: "lb-1", address: "127.0.0.1", sshPort: 2204, roles: ["loadbalancer"] },
        ],
        "berth:loadBalancer": { host: "lb-1" },
        "berth:apps": [{
            name: "sample",
            domain: "sample.localhost",
            image: { repository: "172.30.0.2:5000/berth/sample", tag: "v1" },
            code: { repository: "git://172.30.0.2/sample.git", ref: "v1.0.0" },
            webPort: 8001,
            hosts: { web: ["web-1"] },
        }],
        "berth:secrets": { sample: { SECRET_KEY: SECRET_VALUE } },
    };
}

/** Runs the program on a config; returns what it threw and every resource it registered. */
async function run(config: Record<string, unknown>): Promise<{ caught: unknown; recorded: RecordedProgram }> {
    let caught: unknown;
    const { recorded } = await recordProgram(config, ["berth:secrets"], () => {
        try {
            return deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner });
        } catch (error) {
            caught = error;
            return undefined;
        }
    });
    return { caught, recorded };
}

type Case = [description: string, change: (config: Record<string, any>) => void, path: string, reason: RegExp];

const cases: Case[] = [
    ["a misspelt berth:production", (c) => { c["berth:prodution"] = true; }, "berth:prodution", /^is not a known setting; allowed: berth:production, /],
    ["berth:secret instead of berth:secrets", (c) => { c["berth:secret"] = { sample: { SECRET_KEY: SECRET_VALUE } }; }, "berth:secret", /^is not a known setting/],
    ["a missing key file (once a raw ENOENT)", (c) => { c["berth:sshKeyPath"] = join(scratch, "no-such-key"); }, "berth:sshKeyPath", new RegExp(`^no such file: ${join(scratch, "no-such-key")}`)],
    ["a secret that is an object (once a stack trace after registration)", (c) => { c["berth:secrets"].sample.SECRET_KEY = { nested: SECRET_VALUE }; }, "berth:secrets.sample.SECRET_KEY", /^must be a string \(got an object\)$/],
    ["a secret that is a list", (c) => { c["berth:secrets"].sample.SECRET_KEY = [SECRET_VALUE]; }, "berth:secrets.sample.SECRET_KEY", /^must be a string \(got a list\)$/],
    ["a secret name that runs a command in every container", (c) => { c["berth:secrets"].sample["X=1; touch /tmp/pwned; Y"] = SECRET_VALUE; }, 'berth:secrets.sample["X=1; touch /tmp/pwned; Y"]', /^is not a valid environment variable name/],
    ["secrets for an app that does not exist", (c) => { c["berth:secrets"].smaple = { SECRET_KEY: SECRET_VALUE }; }, "berth:secrets.smaple", /^names no app in berth:apps/],
    ["a token in the repository URL", (c) => { c["berth:apps"][0].code.repository = "https://deploy:ghp_T0KEN@github.com/example/sample.git"; }, "berth:apps[0].code.repository", /^must not carry credentials/],
    ["a moving tag in production", (c) => { c["berth:production"] = true; c["berth:apps"][0].image.tag = "main"; }, "berth:apps[0].image.tag", /^must be a versioned tag in a production stack/],
];

describe("a hostile config through the whole program under mocks", () => {
    it.each(cases.map(([description, change, path, reason]) => ({ description, change, path, reason })))("$description: refused at $path before any resource is registered", async ({ change, path, reason }) => {
        const config = labStack();
        change(config);
        const { caught, recorded } = await run(config);
        expect(caught).toBeInstanceOf(ConfigError);
        const problems = (caught as ConfigError).problems;
        expect(problems.filter((problem) => problem.propertyPath === path).map((problem) => problem.reason)).toEqual([expect.stringMatching(reason)]);
        expect((caught as ConfigError).message).not.toContain(SECRET_VALUE);
        expect((caught as ConfigError).message).not.toContain("ghp_T0KEN");
        expect(recorded.resources).toEqual([]);
    });

    it("collects the key file's problem with every other one, and fails once", async () => {
        const config = labStack();
        config["berth:sshKeyPath"] = join(scratch, "no-such-key");
        config["berth:prodution"] = true;
        config["berth:hosts"][0].sshUser = "-oProxyCommand=touch";
        const { caught, recorded } = await run(config);
        expect((caught as ConfigError).problems.map((problem) => problem.propertyPath)).toEqual(["berth:prodution", "berth:sshKeyPath", "berth:hosts[0].sshUser"]);
        expect(recorded.resources).toEqual([]);
    });
});

describe("hostile secret values in a valid config", () => {
    const hostile = {
        QUOTES: `it's "quoted"`,
        SUBSTITUTION: `$(touch ${join(scratch, "pwned-substitution")})`,
        BACKTICKS: `\`touch ${join(scratch, "pwned-backticks")}\``,
        NEWLINES: "line one\nPWNED=1\nline three",
        BACKSLASHES: "C:\\new\\table\\",
        SEMICOLONS: "a; touch pwned; b",
        EMPTY: "",
    };
    let recorded: RecordedProgram;
    beforeAll(async () => {
        const config = labStack();
        config["berth:secrets"] = { sample: hostile };
        ({ recorded } = await run(config));
    });

    it("reach the env file as a secret and come back exactly from the shell that sources it, running nothing", () => {
        const envFile = recorded.named("sample-env-file-web-1");
        expect(isSecret(envFile.wireInputs.stdin)).toBe(true);
        const path = join(scratch, "env");
        writeFileSync(path, envFile.inputs.stdin as string);
        // What the images' entrypoints do: `set -a; . "$BERTH_ENV_FILE"`.
        const printed = execFileSync("/bin/sh", ["-c", 'set -a; . "$1"; exec /usr/bin/env -0', "sh", path], { env: {}, encoding: "utf8" });
        const sourced = Object.fromEntries(printed.split("\0").filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
        expect(sourced).toMatchObject(hostile);
        expect(sourced.PWNED).toBeUndefined();
        expect(existsSync(join(scratch, "pwned-substitution"))).toBe(false);
        expect(existsSync(join(scratch, "pwned-backticks"))).toBe(false);
        // Nowhere in plain state: no other resource's inputs hold a secret value.
        const elsewhere = JSON.stringify(recorded.resources.filter((resource) => !resource.name.startsWith("sample-env-file-")).map((resource) => resource.inputs));
        expect(elsewhere).not.toContain("line one");
    });
});
