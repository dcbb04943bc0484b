import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConcurrentUpdateError, Stack } from "@pulumi/pulumi/automation";
import { quote, words } from "../components/shell/quote";
import { recordAudit } from "./audit";
import { currentActor, isStale, withStackLock } from "./lock";
import { runOnHost } from "./remote";
import { CONTAINER_TYPE, HostAccess, hostAccessByProvider, readStackState, resourceName, StackState } from "./stackState";
import { Backend, berthStateDirectory, pulumiLockDirectories, stackBackend, stackFileName } from "./stateDirectory";

/** What recovering from an interrupted `pulumi up` did. */
export interface Recovery {
    /** Pulumi update locks whose process is gone, removed. */
    staleLocks: number;
    /** Containers an interrupted create left on a host that the state never recorded, removed. */
    orphanContainers: string[];
    /** Operations the interrupted update left pending, cleared by `pulumi refresh`. */
    pendingOperations: string[];
}

export interface RecoverOptions {
    /** Set by `deploy` and `rollback`, which hold berth's lock for the stack already; `berth recover` alone takes it. */
    lockHeld?: boolean;
    /** The berth command recovering, for the audit log; default `recover`. */
    command?: string;
}

/** An update holds the stack (Pulumi's own lock): recovery changed nothing after that point. */
export class UpdateInProgressError extends Error {}

/**
 * Makes a stack deployable again after a `pulumi up` was killed part-way
 * (a crashed laptop, a cancelled CI job). A container that another machine's
 * live `pulumi up` is creating looks exactly like one an interrupted create
 * left behind, so nothing is touched while any update holds the stack:
 *  1. Pulumi's update locks: on a file:// backend, a lock of a dead process on
 *     this machine is removed (that one file: `pulumi cancel` would delete
 *     every lock, a newcomer's too) and a live one, or another machine's, stops
 *     us naming its holder; on Pulumi Cloud an update in progress stops us
 *     (berth never cancels it). In object storage the lock files are beyond
 *     berth's reach, and step 2 is the check;
 *  2. `pulumi refresh --clear-pending-creates` reads every resource back and
 *     drops the pending operations. It takes Pulumi's own lock, on every
 *     backend, so it fails if an update holds the stack: then nothing was removed;
 *  3. a container whose create was interrupted exists on its host but not in
 *     the state; the next create would fail on its name, so it is removed by
 *     its ID (it never took traffic: its host was drained, or it is a
 *     worker/beat the next `up` starts again). Just before each removal the
 *     locks are checked again and the state is read again: a pending operation
 *     there now is a new update's (step 2 cleared ours), and a container the
 *     state knows is not an orphan.
 * Each removal is written to the audit log. The containers to remove are noted
 * (`recovery/<stack>.json`) before the refresh drops their pending creates, so
 * a recovery stopped half-way finishes on the next run. Does nothing on a
 * stack that was not interrupted.
 */
export async function recoverInterruptedDeploy(stack: Stack, log: (line: string) => void = () => undefined, options: RecoverOptions = {}): Promise<Recovery> {
    if (!options.lockHeld) {
        return withStackLock(berthStateDirectory(stack), stack.name, "recover", () => recover(stack, log, "recover"));
    }
    return recover(stack, log, options.command ?? "recover");
}

/** A container create the state recorded as pending, and where its host is. */
interface InterruptedCreate {
    name: string;
    access: HostAccess;
}

async function recover(stack: Stack, log: (line: string) => void, command: string): Promise<Recovery> {
    const backend = await stackBackend(stack);
    const directory = berthStateDirectory(stack);
    const audit = (removed: string) =>
        recordAudit(directory, { at: new Date().toISOString(), actor: currentActor(), stack: stack.name, command, from: {}, to: {}, result: "recovered", removed: [removed] });

    const recovery: Recovery = { staleLocks: await checkPulumiLocks(stack, backend, log, audit, "berth changed nothing"), orphanContainers: [], pendingOperations: [] };
    const state = await readStackState(stack);
    const journal = join(directory, "recovery", `${stackFileName(stack.name)}.json`);
    const unfinished = await readJournal(journal);
    const creates = union(unfinished, interruptedCreates(state));
    if (state.pendingOperations.length === 0 && creates.length === 0) {
        return recovery;
    }
    recovery.pendingOperations = [
        ...state.pendingOperations.map((operation) => `${resourceName(operation.resource.urn)} (interrupted while ${operation.type})`),
        ...unfinished.map((create) => `${create.name}@${create.access.host} (an earlier recovery did not finish removing it)`),
    ];
    log(`the last update was interrupted; pending: ${recovery.pendingOperations.join(", ")}`);

    if (creates.length > 0) {
        await mkdir(join(directory, "recovery"), { recursive: true });
        await writeFile(journal, JSON.stringify(creates, null, 2));
    }
    try {
        await stack.refresh({ clearPendingCreates: true });
    } catch (error) {
        if (error instanceof ConcurrentUpdateError) {
            throw new UpdateInProgressError(`stack ${stack.name} is being updated (Pulumi's update lock is held); berth changed nothing. ${lastLines(error.message)}`);
        }
        throw error;
    }
    log("refreshed the state from the hosts; pending operations cleared");

    for (const { name, access } of creates) {
        // The container by that name, if the interrupted create got as far as making it.
        const id = (await runOnHost(access, `docker inspect --format '{{.Id}}' -- ${quote(name)} 2>/dev/null || true`)).trim();
        if (!id) {
            continue;
        }
        await checkPulumiLocks(stack, backend, log, audit, `berth left ${name} on ${access.host} alone`);
        const now = await readStackState(stack);
        if (now.pendingOperations.length > 0) {
            throw new UpdateInProgressError(
                `an update of stack ${stack.name} started while berth was recovering it (pending: ` +
                    `${now.pendingOperations.map((operation) => resourceName(operation.resource.urn)).join(", ")}); ` +
                    `berth left ${name} on ${access.host} alone. Run \`berth recover\` again once that update is done.`,
            );
        }
        if (knownIds(now).has(id)) {
            continue;
        }
        await runOnHost(access, words("docker", "rm", "--force", "--", id));
        const removed = `container ${name} (${id.slice(0, 12)}) on ${access.host}: its create was interrupted and the state does not know it`;
        await audit(removed);
        recovery.orphanContainers.push(`${name}@${access.host}`);
        log(`removed ${removed}`);
    }
    await rm(journal, { force: true });
    return recovery;
}

/** The container creates an interrupted update left pending, on hosts berth can reach. */
function interruptedCreates(state: StackState): InterruptedCreate[] {
    const hosts = hostAccessByProvider(state);
    const creates: InterruptedCreate[] = [];
    for (const { type, resource } of state.pendingOperations) {
        const name = resource.inputs?.name;
        const access = resource.provider ? hosts.get(resource.provider) : undefined;
        if (type === "creating" && resource.type === CONTAINER_TYPE && typeof name === "string" && access) {
            creates.push({ name, access });
        }
    }
    return creates;
}

function union(first: InterruptedCreate[], second: InterruptedCreate[]): InterruptedCreate[] {
    const byKey = new Map([...first, ...second].map((create) => [`${create.name}@${create.access.host}`, create]));
    return [...byKey.values()];
}

async function readJournal(path: string): Promise<InterruptedCreate[]> {
    let text: string;
    try {
        text = await readFile(path, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            return [];
        }
        throw error;
    }
    try {
        return JSON.parse(text) as InterruptedCreate[];
    } catch {
        throw new Error(`${path}, the containers an earlier recovery had still to remove, is not JSON; check them by hand (berth status), then delete it`);
    }
}

function knownIds(state: StackState): Set<string> {
    return new Set(state.resources.map((resource) => resource.id).filter((id): id is string => Boolean(id)));
}

/**
 * Fails if an update holds the stack, as far as the backend lets berth see it
 * without taking the lock; removes the locks of dead processes on this machine
 * (file://). Returns how many it removed.
 */
async function checkPulumiLocks(stack: Stack, backend: Backend, log: (line: string) => void, audit: (removed: string) => Promise<void>, outcome: string): Promise<number> {
    if (backend.kind === "cloud") {
        const name = stackFileName(stack.name);
        const updating = (await stack.workspace.listStacks()).filter((summary) => summary.updateInProgress && stackFileName(summary.name) === name);
        if (updating.length > 0) {
            throw new UpdateInProgressError(
                `an update of stack ${stack.name} is in progress on ${backend.url}; ${outcome}. Wait for it to finish. ` +
                    "If it was interrupted, cancel it with `pulumi cancel` once you know no one is deploying: berth never cancels another update.",
            );
        }
        return 0;
    }
    if (backend.kind !== "file" || !backend.directory) {
        return 0; // object storage: the refresh takes Pulumi's lock, and fails if it is held
    }
    const project = (await stack.workspace.projectSettings()).name;
    const locks = await pulumiLocks(pulumiLockDirectories(backend.directory, project, stack.name));
    const live = locks.find((lock) => !isStale(lock));
    if (live) {
        throw new UpdateInProgressError(
            `stack ${stack.name} is being updated by pid ${live.pid} on ${live.hostname} (${live.username ?? "?"}, since ${live.timestamp ?? "?"}); ${outcome}. ` +
                `Wait for it to finish. berth takes over only the lock of a process that no longer runs on this machine; for another machine's, once you know it is gone: rm ${live.path}`,
        );
    }
    for (const lock of locks) {
        await rm(lock.path, { force: true });
        await rm(`${lock.path}.attrs`, { force: true });
        const removed = `Pulumi update lock of pid ${lock.pid} on ${lock.hostname} (since ${lock.timestamp ?? "?"}): that process no longer runs`;
        await audit(removed);
        log(`removed the ${removed}`);
    }
    return locks.length;
}

interface PulumiLock {
    path: string;
    pid: number;
    hostname: string;
    username?: string;
    timestamp?: string;
}

/** The diy backend's lock files (`<uuid>.json`, beside the `.attrs` its blob store writes). */
async function pulumiLocks(directories: string[]): Promise<PulumiLock[]> {
    const locks: PulumiLock[] = [];
    for (const directory of directories) {
        const entries = await readdir(directory).catch(() => [] as string[]);
        for (const entry of entries.filter((name) => name.endsWith(".json"))) {
            const path = join(directory, entry);
            try {
                locks.push({ ...(JSON.parse(await readFile(path, "utf8")) as Omit<PulumiLock, "path">), path });
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
                    // unreadable: held, by someone we cannot name
                    locks.push({ path, pid: 0, hostname: "(unreadable lock file)" });
                }
            }
        }
    }
    return locks;
}

function lastLines(message: string): string {
    return message.split("\n").map((line) => line.trim()).filter((line) => /locked|conflict|created by/i.test(line)).join(" ");
}
