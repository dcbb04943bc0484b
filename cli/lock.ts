import { mkdir, open, readFile, rm } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";

/** Who holds a stack's deploy lock. */
export interface LockHolder {
    pid: number;
    hostname: string;
    actor: string;
    command: string;
    since: string;
}

export class StackLockedError extends Error {
    constructor(readonly stackName: string, readonly holder: LockHolder) {
        super(
            `stack ${stackName} is locked: ${holder.actor} is running \`berth ${holder.command}\` since ${holder.since} ` +
                `(pid ${holder.pid} on ${holder.hostname}). Wait for it, or pass --wait.`,
        );
    }
}

/** Who is deploying: the CI actor when there is one, else user@host. */
export function currentActor(): string {
    return process.env.BERTH_ACTOR ?? process.env.GITHUB_ACTOR ?? `${userInfo().username}@${hostname()}`;
}

export interface LockOptions {
    /** How long to wait for another deploy to finish; 0 fails at once. */
    waitMs?: number;
}

/**
 * berth's deploy lock: one file created exclusively, so a second `deploy` or
 * `rollback` of the same stack waits or fails, for the whole of its work
 * (recovery, up, and the rollback up), not only one `pulumi up`. A lock left
 * by a process that no longer exists on this machine is taken over.
 */
export async function withStackLock<T>(directory: string, stackName: string, command: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    await mkdir(join(directory, "locks"), { recursive: true });
    const path = join(directory, "locks", `${stackName}.json`);
    const deadline = Date.now() + (options.waitMs ?? 0);
    const me: LockHolder = { pid: process.pid, hostname: hostname(), actor: currentActor(), command, since: new Date().toISOString() };
    for (;;) {
        if (await tryCreate(path, me)) {
            break;
        }
        const holder = await readHolder(path);
        if (holder && isStale(holder)) {
            await rm(path, { force: true });
            continue;
        }
        if (Date.now() >= deadline) {
            throw new StackLockedError(stackName, holder ?? { ...me, actor: "unknown", command: "?" });
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    try {
        return await work();
    } finally {
        await rm(path, { force: true });
    }
}

async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
    try {
        const file = await open(path, "wx");
        await file.writeFile(JSON.stringify(holder, null, 2));
        await file.close();
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
            return false;
        }
        throw error;
    }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
    try {
        return JSON.parse(await readFile(path, "utf8")) as LockHolder;
    } catch {
        return undefined; // removed meanwhile, or being written
    }
}

/** A holder on this machine whose process is gone. Other machines' locks are never judged stale. */
export function isStale(holder: { pid: number; hostname: string }): boolean {
    if (holder.hostname !== hostname()) {
        return false;
    }
    try {
        process.kill(holder.pid, 0);
        return false;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
}
