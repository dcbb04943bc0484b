import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConcurrentUpdateError, Stack } from "@pulumi/pulumi/automation";
import { readAudit } from "../../../cli/audit";
import { StackLockedError, withStackLock } from "../../../cli/lock";
import { recoverInterruptedDeploy } from "../../../cli/recover";
import { runOnHost } from "../../../cli/remote";

jest.mock("../../../cli/remote", () => ({ runOnHost: jest.fn() }));
const onHost = runOnHost as jest.MockedFunction<typeof runOnHost>;

// `berth recover` after a `pulumi up` was killed while it created a container: the
// container exists on its host, the state only has a pending create. A container that
// another machine's live `pulumi up` is creating looks the same, so recovery must never
// act while any update holds the stack, on any backend, and must log what it removes.

const PROVIDER_URN = "urn:pulumi:prod::berth::berth:index:Host$pulumi:providers:docker::web-1-docker";
const CONTAINER_URN = "urn:pulumi:prod::berth::berth:index:App$docker:index/container:Container::sample-web-web-1";
const ORPHAN_ID = "0123456789abcdef0123456789abcdef";

function deployment(options: { pending?: boolean; containerId?: string } = {}): { deployment: unknown } {
    const resources: unknown[] = [
        { urn: PROVIDER_URN, type: "pulumi:providers:docker", id: "provider-1", inputs: { host: "ssh://root@10.0.0.11:22", sshOpts: JSON.stringify(["-i", "/keys/deploy"]) } },
    ];
    if (options.containerId) {
        resources.push({ urn: CONTAINER_URN, type: "docker:index/container:Container", id: options.containerId, provider: `${PROVIDER_URN}::provider-1`, inputs: { name: "sample-web" } });
    }
    const pending = options.pending
        ? [{ type: "creating", resource: { urn: CONTAINER_URN, type: "docker:index/container:Container", provider: `${PROVIDER_URN}::provider-1`, inputs: { name: "sample-web" } } }]
        : [];
    return { deployment: { resources, pending_operations: pending } };
}

interface FakeStack {
    stack: Stack;
    refresh: jest.Mock;
    cancel: jest.Mock;
}

/** A Stack as recover uses it; exportStack answers the given states in turn, then the last. */
function fakeStack(options: { backend: string; name?: string; workDir: string; states: { deployment: unknown }[]; refresh?: () => Promise<unknown>; updateInProgress?: boolean }): FakeStack {
    const states = [...options.states];
    const refresh = jest.fn(options.refresh ?? (async () => ({})));
    const cancel = jest.fn(async () => undefined);
    const stack = {
        name: options.name ?? "prod",
        workspace: {
            workDir: options.workDir,
            envVars: { PULUMI_BACKEND_URL: options.backend },
            projectSettings: async () => ({ name: "berth", runtime: "nodejs" }),
            listStacks: async () => [{ name: "prod", current: true, updateInProgress: options.updateInProgress ?? false }],
            whoAmI: async () => ({ user: "ci", url: options.backend }),
        },
        exportStack: jest.fn(async () => (states.length > 1 ? states.shift()! : states[0])),
        refresh,
        cancel,
    };
    return { stack: stack as unknown as Stack, refresh, cancel };
}

/** What `docker inspect` and `docker rm` answer on the host: the orphan exists. */
function hostHasOrphan(): void {
    onHost.mockImplementation(async (_access, command) => (command.startsWith("docker inspect") ? `${ORPHAN_ID}\n` : ""));
}

function removals(): string[] {
    return onHost.mock.calls.map(([, command]) => command).filter((command) => command.startsWith("docker rm"));
}

function lockConflict(): Error {
    const stderr = "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.";
    const Conflict = ConcurrentUpdateError as unknown as new (result: { stderr: string; toString(): string }) => Error;
    return new Conflict({ stderr, toString: () => `code: 255\n stdout: \n stderr: ${stderr}` });
}

describe("recovering an interrupted deploy", () => {
    let directory: string;
    beforeEach(async () => {
        directory = await mkdtemp(join(tmpdir(), "berth-recover-"));
        onHost.mockReset();
        hostHasOrphan();
    });
    afterEach(() => rm(directory, { recursive: true, force: true }));

    const fileBackend = () => pathToFileURL(join(directory, "state")).href;

    async function pulumiLock(stackPath: string, holder: { pid: number; hostname: string }): Promise<string> {
        const locks = join(directory, "state", ".pulumi", "locks", stackPath);
        await mkdir(locks, { recursive: true });
        const path = join(locks, "7f17b0c1-2e6b-4956-b4b3-709827c2626b.json");
        await writeFile(path, JSON.stringify({ ...holder, username: "deployer", timestamp: "2026-01-01T10:00:00Z" }));
        await writeFile(`${path}.attrs`, "{}");
        return path;
    }

    it.each(["prod", "organization/prod", "organization/berth/prod"])(
        "changes nothing while another machine's pulumi up holds the stack %s (file backend)",
        async (name) => {
            await pulumiLock("organization/berth/prod", { pid: 4242, hostname: "ci-runner-7" });
            const { stack, refresh } = fakeStack({ backend: fileBackend(), name, workDir: directory, states: [deployment({ pending: true })] });
            await expect(recoverInterruptedDeploy(stack)).rejects.toThrow(/is being updated by pid 4242 on ci-runner-7/);
            expect(onHost).not.toHaveBeenCalled();
            expect(refresh).not.toHaveBeenCalled();
        },
    );

    it("changes nothing while an update holds the stack on an S3 backend, where only Pulumi's own lock can tell", async () => {
        const { stack, refresh } = fakeStack({ backend: "s3://berth-state?region=fra1&endpoint=fra1.digitaloceanspaces.com", workDir: directory, states: [deployment({ pending: true })], refresh: async () => Promise.reject(lockConflict()) });
        await expect(recoverInterruptedDeploy(stack)).rejects.toThrow(/is being updated/);
        expect(refresh).toHaveBeenCalledTimes(1);
        expect(removals()).toEqual([]);
    });

    it("changes nothing while Pulumi Cloud has an update of the stack in progress", async () => {
        const { stack, refresh } = fakeStack({ backend: "https://api.pulumi.com", workDir: directory, states: [deployment({ pending: true })], updateInProgress: true });
        await expect(recoverInterruptedDeploy(stack)).rejects.toThrow(/an update of stack prod is in progress/);
        expect(refresh).not.toHaveBeenCalled();
        expect(onHost).not.toHaveBeenCalled();
    });

    it("leaves a container alone that an update recorded meanwhile", async () => {
        const { stack } = fakeStack({ backend: "s3://berth-state", workDir: directory, states: [deployment({ pending: true }), deployment({ containerId: ORPHAN_ID })] });
        const recovery = await recoverInterruptedDeploy(stack);
        expect(removals()).toEqual([]);
        expect(recovery.orphanContainers).toEqual([]);
    });

    it("stops when an update started after the refresh", async () => {
        // After `refresh --clear-pending-creates` no operation is pending; one that is must be a new, live update's.
        const { stack } = fakeStack({ backend: "s3://berth-state", workDir: directory, states: [deployment({ pending: true }), deployment({ pending: true })] });
        await expect(recoverInterruptedDeploy(stack)).rejects.toThrow(/an update of stack prod started while berth was recovering it/);
        expect(removals()).toEqual([]);
    });

    it("removes the orphan by its ID, only after Pulumi's lock was free, and writes it to the audit log", async () => {
        const order: string[] = [];
        const { stack } = fakeStack({ backend: fileBackend(), workDir: directory, states: [deployment({ pending: true }), deployment()], refresh: async () => order.push("refresh") });
        onHost.mockImplementation(async (_access, command) => {
            order.push(command.split(" ").slice(0, 2).join(" "));
            return command.startsWith("docker inspect") ? `${ORPHAN_ID}\n` : "";
        });
        const recovery = await recoverInterruptedDeploy(stack);
        expect(order).toEqual(["refresh", "docker inspect", "docker rm"]);
        expect(removals()).toEqual([`docker rm --force -- ${ORPHAN_ID}`]);
        expect(recovery.orphanContainers).toEqual(["sample-web@web-1"]);
        const audit = await readAudit(join(directory, "state", ".berth"), "prod");
        expect(audit).toEqual([
            expect.objectContaining({ stack: "prod", command: "recover", result: "recovered", removed: [`container sample-web (${ORPHAN_ID.slice(0, 12)}) on web-1: its create was interrupted and the state does not know it`] }),
        ]);
    });

    it("removes a dead local process's Pulumi lock as that one file, never with `pulumi cancel`, and logs it", async () => {
        const exited = spawnSync("true").pid!;
        const path = await pulumiLock("organization/berth/prod", { pid: exited, hostname: hostname() });
        const { stack, cancel } = fakeStack({ backend: fileBackend(), workDir: directory, states: [deployment()] });
        const recovery = await recoverInterruptedDeploy(stack);
        expect(recovery.staleLocks).toBe(1);
        expect(cancel).not.toHaveBeenCalled();
        expect(existsSync(path)).toBe(false);
        expect(existsSync(`${path}.attrs`)).toBe(false);
        const audit = await readAudit(join(directory, "state", ".berth"), "prod");
        expect(audit).toEqual([expect.objectContaining({ command: "recover", result: "recovered", removed: [expect.stringMatching(new RegExp(`^Pulumi update lock of pid ${exited} on ${hostname()}`))] })]);
    });

    it("finishes a removal that a recovery interrupted after its refresh", async () => {
        const backend = "s3://berth-state";
        const first = fakeStack({ backend, workDir: directory, states: [deployment({ pending: true }), deployment()] });
        onHost.mockImplementation(async (_access, command) => {
            if (command.startsWith("docker rm")) {
                throw new Error("on web-1: ssh: connect to host 10.0.0.11 port 22: Connection timed out");
            }
            return `${ORPHAN_ID}\n`;
        });
        await expect(recoverInterruptedDeploy(first.stack)).rejects.toThrow(/Connection timed out/);

        // The refresh cleared the pending create; the next recovery still knows about the container.
        onHost.mockReset();
        hostHasOrphan();
        const second = fakeStack({ backend, workDir: directory, states: [deployment()] });
        const recovery = await recoverInterruptedDeploy(second.stack);
        expect(removals()).toEqual([`docker rm --force -- ${ORPHAN_ID}`]);
        expect(recovery.orphanContainers).toEqual(["sample-web@web-1"]);
        expect(recovery.pendingOperations).toEqual(["sample-web@web-1 (an earlier recovery did not finish removing it)"]);
        expect(await readdir(join(directory, ".berth", "recovery"))).toEqual([]);
    });

    it("does nothing to a stack that was not interrupted", async () => {
        const { stack, refresh } = fakeStack({ backend: fileBackend(), workDir: directory, states: [deployment()] });
        await expect(recoverInterruptedDeploy(stack)).resolves.toEqual({ staleLocks: 0, orphanContainers: [], pendingOperations: [] });
        expect(refresh).not.toHaveBeenCalled();
        expect(onHost).not.toHaveBeenCalled();
    });

    it("takes berth's deploy lock when run on its own", async () => {
        const { stack } = fakeStack({ backend: fileBackend(), workDir: directory, states: [deployment({ pending: true })] });
        let release!: () => void;
        const deploying = withStackLock(join(directory, "state", ".berth"), "prod", "deploy", () => new Promise<void>((resolve) => (release = resolve)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        await expect(recoverInterruptedDeploy(stack)).rejects.toBeInstanceOf(StackLockedError);
        expect(onHost).not.toHaveBeenCalled();
        release();
        await deploying;
    });
});
