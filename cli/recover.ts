import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { quote, words } from "../components/shell/quote";
import { isStale } from "./lock";
import { runOnHost } from "./remote";
import { CONTAINER_TYPE, hostAccessByProvider, readStackState, resourceName } from "./stackState";
import { fileBackendDirectory } from "./stateDirectory";

/** What recovering from an interrupted `pulumi up` did. */
export interface Recovery {
    /** Pulumi update locks whose process is gone, removed with `pulumi cancel`. */
    staleLocks: number;
    /** Containers an interrupted create left on a host that the state never recorded, removed. */
    orphanContainers: string[];
    /** Operations the interrupted update left pending, cleared by `pulumi refresh`. */
    pendingOperations: string[];
}

/**
 * Makes a stack deployable again after a `pulumi up` was killed part-way
 * (a crashed laptop, a cancelled CI job):
 *  1. the dead process's Pulumi update lock is removed (`pulumi cancel`), a
 *     live one stops us with who holds it;
 *  2. a container whose create was interrupted exists on its host but not in
 *     the state; the next create would fail on its name, so it is removed
 *     (it never took traffic: its host was drained, or it is a worker/beat
 *     the next `up` starts again);
 *  3. `pulumi refresh --clear-pending-creates` reads every resource back and
 *     drops the pending operations.
 * The next `pulumi up` then converges to the config. Does nothing on a stack
 * that was not interrupted.
 */
export async function recoverInterruptedDeploy(stack: Stack, log: (line: string) => void = () => undefined): Promise<Recovery> {
    const recovery: Recovery = { staleLocks: await removeStalePulumiLocks(stack, log), orphanContainers: [], pendingOperations: [] };
    const state = await readStackState(stack);
    if (state.pendingOperations.length === 0) {
        return recovery;
    }
    recovery.pendingOperations = state.pendingOperations.map((operation) => `${resourceName(operation.resource.urn)} (interrupted while ${operation.type})`);
    log(`the last update was interrupted; pending: ${recovery.pendingOperations.join(", ")}`);

    const hosts = hostAccessByProvider(state);
    const knownIds = new Set(state.resources.map((resource) => resource.id).filter(Boolean));
    for (const operation of state.pendingOperations) {
        const { resource } = operation;
        const name = resource.inputs?.name;
        const access = resource.provider ? hosts.get(resource.provider) : undefined;
        if (operation.type !== "creating" || resource.type !== CONTAINER_TYPE || typeof name !== "string" || !access) {
            continue;
        }
        // The container by that name, if the interrupted create got as far as making it.
        const id = (await runOnHost(access, `docker inspect --format '{{.Id}}' -- ${quote(name)} 2>/dev/null || true`)).trim();
        if (!id || knownIds.has(id)) {
            continue;
        }
        await runOnHost(access, words("docker", "rm", "--force", "--", id));
        recovery.orphanContainers.push(`${name}@${access.host}`);
        log(`removed ${name} (${id.slice(0, 12)}) on ${access.host}: its create was interrupted, the state does not know it`);
    }
    await stack.refresh({ clearPendingCreates: true });
    log("refreshed the state from the hosts; pending operations cleared");
    return recovery;
}

/** Removes the update locks of Pulumi processes that died on this machine; fails on a live one. */
async function removeStalePulumiLocks(stack: Stack, log: (line: string) => void): Promise<number> {
    const backend = fileBackendDirectory(stack);
    if (!backend) {
        return 0;
    }
    const project = (await stack.workspace.projectSettings()).name;
    const holders = await pulumiLockHolders(join(backend, ".pulumi", "locks"), `${project}/${stack.name}`);
    if (holders.length === 0) {
        return 0;
    }
    const live = holders.filter((holder) => !isStale(holder));
    if (live.length > 0) {
        const holder = live[0];
        throw new Error(`stack ${stack.name} is being updated by pid ${holder.pid} on ${holder.hostname}; wait for it to finish`);
    }
    await stack.cancel();
    log(`removed ${holders.length} update lock(s) left by a pulumi process that no longer runs`);
    return holders.length;
}

async function pulumiLockHolders(locksDirectory: string, projectAndStack: string): Promise<{ pid: number; hostname: string }[]> {
    let entries: string[];
    try {
        entries = await readdir(locksDirectory, { recursive: true });
    } catch {
        return [];
    }
    const holders: { pid: number; hostname: string }[] = [];
    for (const entry of entries) {
        if (entry.endsWith(".json") && entry.includes(`${projectAndStack}/`)) {
            try {
                holders.push(JSON.parse(await readFile(join(locksDirectory, entry), "utf8")));
            } catch {
                // a lock removed while we read: not ours to judge
            }
        }
    }
    return holders;
}
