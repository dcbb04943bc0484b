import { ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { copyFile, mkdir, rm, symlink } from "node:fs/promises";
import { homedir, hostname, userInfo } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { AUDIT_TAG_PREFIX, AuditRecord, decodeTagRecord, readAudit, readStackAudit, renderAudit } from "../../../cli/audit";
import { deploy } from "../../../cli/deploy";
import { temporaryDirectory } from "../../support/files";

// The audit log with a real Pulumi CLI on a real file:// backend, through the
// Automation API: a trivial inline program (no resources) whose outputs are what
// berth's program exports (`apps.<app>.tag`), so `berth deploy` runs for real:
// its lock, its recovery, its `pulumi up`s with their messages, and the audit in
// the stack's tags. Then a deploy is killed (SIGKILL, CLI and all) in the middle
// of its `pulumi up`, and the log file beside the state is deleted: what is left
// with the state (tags and Pulumi's update history) still tells the whole story.

const root = temporaryDirectory("audit-state");
const backendDirectory = join(root, "state");
const workDir = join(root, "project");
const projectName = "berth-audit-test";
const stackName = "prod";
const envVars = {
    PULUMI_BACKEND_URL: `file://${backendDirectory}`,
    PULUMI_CONFIG_PASSPHRASE: "audit-test",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "1",
};
const repository = join(__dirname, "..", "..", "..");

/** berth's outputs from `berth:apps`; a tag "broken" fails the update with an error, as a failed health gate would. */
const program: PulumiFn = async () => {
    const apps = new pulumi.Config("berth").requireObject<{ name: string; image: { tag: string } }[]>("apps");
    if (apps.some((app) => app.image.tag === "broken")) {
        pulumi.log.error("the health gate of sample-web on web-1 failed: /healthz answered 500");
        return {};
    }
    return { apps: Object.fromEntries(apps.map((app) => [app.name, { tag: app.image.tag }])) };
};

function openStack(): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack(
        { stackName, projectName, program },
        { workDir, envVars, projectSettings: { name: projectName, runtime: "nodejs", backend: { url: envVars.PULUMI_BACKEND_URL } } },
    );
}

/** A child process running `berth deploy` (cli/deploy.ts, transpiled as it loads) whose `pulumi up` hangs once it has started. */
function spawnHangingDeploy(marker: string): ChildProcess {
    const child = join(root, "hanging-deploy.js");
    writeFileSync(child, `
const { readFileSync, writeFileSync } = require("node:fs");
const ts = require(${JSON.stringify(join(repository, "node_modules", "typescript"))});
require.extensions[".ts"] = (module, filename) => module._compile(ts.transpileModule(readFileSync(filename, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
}).outputText, filename);
const { LocalWorkspace } = require(${JSON.stringify(join(repository, "node_modules", "@pulumi", "pulumi", "automation"))});
const { deploy } = require(${JSON.stringify(join(repository, "cli", "deploy.ts"))});
const program = async () => {
    writeFileSync(${JSON.stringify(marker)}, "the up is running");
    await new Promise(() => setInterval(() => undefined, 1000));
};
LocalWorkspace.createOrSelectStack({ stackName: ${JSON.stringify(stackName)}, projectName: ${JSON.stringify(projectName)}, program }, {
    workDir: ${JSON.stringify(workDir)},
    envVars: ${JSON.stringify(envVars)},
}).then((stack) => deploy(stack)).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
`);
    // Its own process group, so that the kill takes the Pulumi CLI it started along.
    return spawn(process.execPath, [child], { detached: true, stdio: "ignore", env: { ...process.env, BERTH_ACTOR: "mallory" } });
}

/** Whether a process runs (or is not yet reaped) on this machine. */
function running(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** The pids in the Pulumi update locks of the stack (a file:// backend's lock files). */
function pulumiLockPids(): number[] {
    const directory = join(backendDirectory, ".pulumi", "locks", "organization", projectName, stackName);
    return existsSync(directory) ? readdirSync(directory).filter((name) => name.endsWith(".json")).map((name) => (JSON.parse(readFileSync(join(directory, name), "utf8")) as { pid: number }).pid) : [];
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) {
            throw new Error(`gave up waiting after ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** What the comparisons below look at, per run. */
function summary(records: AuditRecord[]) {
    return records.map((record) => ({ command: record.command, result: record.result, from: record.from, to: record.to, actor: record.identity?.claimed, phases: record.updates.map((update) => `${update.phase} ${update.result}`) }));
}

/** Each test runs the real Pulumi CLI (and policy pack) a few times: a generous bound, for a busy machine. */
const REAL_CLI_TIMEOUT_MS = 300_000;

const saved = { ...process.env };
const observed = `${userInfo().username}@${hostname()}`;
let stack: Stack;

beforeAll(async () => {
    await mkdir(backendDirectory, { recursive: true });
    await mkdir(workDir, { recursive: true });
    // berth's policy pack, which every deploy runs, reads the program's package.json and packages.
    await copyFile(join(repository, "package.json"), join(workDir, "package.json"));
    await symlink(join(repository, "node_modules"), join(workDir, "node_modules"));
    // The Pulumi CLI where its installer (and scripts/env.sh) puts it.
    process.env.PATH = `${join(process.env.PULUMI_HOME ?? join(homedir(), ".pulumi"), "bin")}:${process.env.PATH}`;
    Object.assign(process.env, { BERTH_ACTOR: "alice", GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "acme/shop", GITHUB_RUN_ID: "4242" });
    delete process.env.GITHUB_ACTOR;
    delete process.env.GITHUB_RUN_ATTEMPT;
    stack = await openStack();
    await stack.setConfig("berth:apps[0].name", { value: "sample" }, true);
    await stack.setConfig("berth:apps[0].image.tag", { value: "v1" }, true);
}, REAL_CLI_TIMEOUT_MS);

afterAll(() => {
    process.env = saved;
});

const setTag = (tag: string) => stack.setConfig("berth:apps[0].image.tag", { value: tag }, true);

describe("berth's audit on a file:// backend, kept with the state", () => {
    it("records each deploy as started, then its result, in the stack's tags, the update messages and the log file", async () => {
        await deploy(stack);
        await setTag("broken");
        const outcome = await deploy(stack);
        expect(outcome).toMatchObject({ result: "rolled back", restored: { sample: { tag: "v1" } } });

        const tags = Object.entries(await stack.listTags()).filter(([name]) => name.startsWith(AUDIT_TAG_PREFIX));
        expect(tags).toHaveLength(2);
        expect(tags.map(([name]) => name).every((name) => name.length <= 40 && /^[A-Za-z0-9_.:-]+$/.test(name))).toBe(true);
        expect(tags.every(([, value]) => Buffer.byteLength(value) <= 256)).toBe(true);
        expect(tags.map(([, value]) => decodeTagRecord(value))).toEqual([
            expect.objectContaining({ command: "deploy", result: "succeeded", claimed: "alice", observed, ciRun: "https://github.com/acme/shop/actions/runs/4242", changes: "sample (new) → v1" }),
            expect.objectContaining({ command: "deploy", result: "rolled back", changes: "sample v1 → broken", error: expect.stringContaining("health gate of sample-web") }),
        ]);

        const history = await stack.history();
        expect(history.map((update) => update.message.split("\n")[0]).reverse()).toEqual([
            `berth deploy by alice (claimed; observed ${observed}): sample (new) → v1`,
            `berth deploy by alice (claimed; observed ${observed}): sample v1 → broken`,
            `berth deploy by alice (claimed; observed ${observed}): restore after a failed rollout: sample broken → v1`,
        ]);
        // The log file beside the state, as older berths wrote it (result lines).
        expect((await readAudit(join(backendDirectory, ".berth"), stackName)).map((entry) => `${entry.command} ${entry.result}`)).toEqual([
            "deploy succeeded", "deploy rolled back",
        ]);
    }, REAL_CLI_TIMEOUT_MS);

    it("shows a deploy killed during its pulumi up as started, with no result; the next deploy recovers and records its own", async () => {
        const marker = join(root, "up-running");
        await setTag("v3");
        const child = spawnHangingDeploy(marker);
        const exited = new Promise((resolve) => child.on("exit", resolve));
        try {
            await until(() => existsSync(marker), 240_000);
            // The up runs: its run's record is there already, with no result.
            const running = Object.entries(await stack.listTags()).filter(([name]) => name.startsWith(AUDIT_TAG_PREFIX)).map(([, value]) => decodeTagRecord(value));
            expect(running[running.length - 1]).toEqual(expect.objectContaining({ command: "deploy", claimed: "mallory", changes: "sample v1 → v3" }));
            expect(running[running.length - 1]?.result).toBeUndefined();
        } finally {
            process.kill(-child.pid!, "SIGKILL");
            await exited;
        }
        // The killed Pulumi CLI left its update lock; once the process is gone (reaped), recovery may take it over.
        const killedCli = pulumiLockPids();
        expect(killedCli).toHaveLength(1);
        await until(() => !killedCli.some(running), 60_000);

        const next = await deploy(stack);
        expect(next).toMatchObject({ result: "succeeded", to: { sample: { tag: "v3" } } });
        const records = await readStackAudit(stack);
        expect(summary(records)).toEqual([
            { command: "deploy", result: "succeeded", from: {}, to: { sample: { tag: "v1" } }, actor: "alice", phases: ["rollout succeeded"] },
            { command: "deploy", result: "rolled back", from: { sample: { tag: "v1" } }, to: { sample: { tag: "broken" } }, actor: "alice", phases: ["rollout failed", "restore succeeded"] },
            // A diy backend writes an update into its history when the update ends: the killed one never did.
            { command: "deploy", result: undefined, from: { sample: { tag: "v1" } }, to: { sample: { tag: "v3" } }, actor: "mallory", phases: [] },
            { command: "deploy", result: "succeeded", from: { sample: { tag: "v1" } }, to: { sample: { tag: "v3" } }, actor: "alice", phases: ["rollout succeeded"] },
        ]);
        // The next deploy found the killed one's Pulumi update lock and removed it; recovery's own line says which.
        expect(records[3].removed).toEqual([expect.stringMatching(new RegExp(`^Pulumi update lock of pid ${killedCli[0]} on ${hostname()}`))]);
        const rendered = renderAudit(records).split("\n");
        const actor = `by alice (claimed), ${observed} (observed), https://github.com/acme/shop/actions/runs/4242`;
        expect(rendered.filter((line) => !line.startsWith("    ")).map((line) => line.replace(/^\S+ {2}/, ""))).toEqual([
            `deploy  succeeded  sample (new) → v1  ${actor}`,
            `deploy  rolled back  sample v1 → broken  ${actor}`,
            `deploy  started, no result (interrupted)  sample v1 → v3  ${actor.replace("alice", "mallory")}`,
            `deploy  succeeded  sample v1 → v3  ${actor}`,
        ]);
        expect(rendered).toContain("    restored: sample v1");
        expect(rendered).toContain("    pulumi: rollout failed, restore succeeded");
    }, REAL_CLI_TIMEOUT_MS);

    it("tells the same story without the log file, from the stack's tags and Pulumi's history alone", async () => {
        const runLines = (records: AuditRecord[]) => renderAudit(records).split("\n").filter((line) => !line.startsWith("    ")).map((line) => line.replace(/^\S+ {2}/, ""));
        const withFile = await readStackAudit(stack);
        await rm(join(backendDirectory, ".berth", "audit"), { recursive: true, force: true });
        const records = await readStackAudit(stack);
        expect(records.every((record) => !record.sources.includes("log"))).toBe(true);
        expect(runLines(records)).toEqual(runLines(withFile));
        expect(summary(records)).toEqual(summary(withFile).map((run, index) =>
            // The killed run never reached Pulumi's history: its tag says what it changes, not the releases themselves.
            index === 2 ? { ...run, from: undefined, to: undefined } : run,
        ));
        expect(records[2].changes).toBe("sample v1 → v3");
        expect(records[1]).toMatchObject({ restored: { sample: { tag: "v1" } }, error: expect.stringContaining("health gate of sample-web") });
        // Without the log file's line per removal, the run's own summary of its recovery (in its update's message and its tag).
        expect(records[3].removed).toEqual(["1 Pulumi update lock(s) of a process that no longer runs"]);
    }, REAL_CLI_TIMEOUT_MS);

    it("still has every finished run from Pulumi's history once their tags are gone", async () => {
        for (const name of Object.keys(await stack.listTags()).filter((tag) => tag.startsWith(AUDIT_TAG_PREFIX))) {
            await stack.removeTag(name);
        }
        const records = await readStackAudit(stack);
        expect(records.map((record) => `${record.command} ${record.result} ${record.resultFromHistory ? "(history)" : ""}`.trim())).toEqual([
            "deploy succeeded (history)", "deploy rolled back (history)", "deploy succeeded (history)",
        ]);
        expect(records[1].restored).toEqual({ sample: { tag: "v1" } });
    }, REAL_CLI_TIMEOUT_MS);
});
