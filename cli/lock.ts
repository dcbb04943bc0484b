import { randomBytes } from "node:crypto";
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { stackFileName } from "./stateDirectory";

/** Who holds a stack's deploy lock. */
export interface LockHolder {
    pid: number;
    hostname: string;
    actor: string;
    command: string;
    since: string;
    /** The lock's generation: one more than the holder's before it (absent in locks of older berths). */
    generation?: number;
}

export class StackLockedError extends Error {
    /** `holder` is undefined when the lock file cannot be read (`lockFile` names it). */
    constructor(readonly stackName: string, readonly holder: LockHolder | undefined, readonly lockFile?: string) {
        super(
            holder
                ? `stack ${stackName} is locked: ${holder.actor} is running \`berth ${holder.command}\` since ${holder.since} ` +
                      `(pid ${holder.pid} on ${holder.hostname}). Wait for it, or pass --wait.` +
                      // berth can tell only on this machine whether the holder still runs.
                      (holder.hostname !== hostname() && lockFile ? ` If that process is gone for good, remove ${lockFile}.` : "")
                : `stack ${stackName} is locked by ${lockFile}, which berth cannot read. Remove it once you know no deploy is running.`,
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
 * berth's deploy lock: a second `deploy` or `rollback` of the same stack waits
 * or fails, for the whole of its work (recovery, up, and the rollback up), not
 * only one `pulumi up`. A lock left by a process that no longer exists on this
 * machine is taken over; other machines' locks never are.
 *
 * The lock is a directory `locks/<stack>.lock/` of generations: holder `n`
 * owns `n.json`, and releases it by adding `n.released`. To take the lock, a
 * process reads the newest generation `n`; if it is released, or its holder is
 * a dead process of this machine, it creates `n+1.json`, exclusively. Removing
 * a stale lock and creating a new one are then one step that only one process
 * can win (deleting the stale file first would let a second process delete the
 * winner's file too). The newest generation is never deleted, only older ones,
 * by the newest holder; a process that judged a generation long gone may
 * recreate it, so after creating, a holder checks that no newer generation
 * exists, and otherwise withdraws.
 */
export async function withStackLock<T>(directory: string, stackName: string, command: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const name = stackFileName(stackName);
    const lockDirectory = join(directory, "locks", `${name}.lock`);
    // The lock file of berths before generations: a live one still holds the stack.
    const olderBerthLock = join(directory, "locks", `${name}.json`);
    await mkdir(lockDirectory, { recursive: true });
    const deadline = Date.now() + (options.waitMs ?? 0);
    const me: LockHolder = { pid: process.pid, hostname: hostname(), actor: currentActor(), command, since: new Date().toISOString() };
    let generation: number;
    for (;;) {
        const attempt = await tryToAcquire(lockDirectory, olderBerthLock, me);
        if (attempt.acquired) {
            generation = attempt.generation;
            break;
        }
        if (!attempt.blocker) {
            continue; // another process won the generation we tried: look again at once
        }
        if (Date.now() >= deadline) {
            throw new StackLockedError(stackName, attempt.blocker.holder, attempt.blocker.path);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    try {
        return await work();
    } finally {
        await writeFile(join(lockDirectory, `${generation}.released`), "");
    }
}

const HOLDER_FILE = /^(\d+)\.json$/;
const RELEASED_FILE = /^(\d+)\.released$/;
const TEMPORARY_FILE = /^\..*\.tmp$/;

type Attempt = { acquired: true; generation: number } | { acquired: false; blocker?: { holder?: LockHolder; path: string } };

async function tryToAcquire(lockDirectory: string, olderBerthLock: string, me: LockHolder): Promise<Attempt> {
    const older = await readHolder(olderBerthLock);
    if (older.state === "unreadable" || (older.state === "read" && !isStale(older.holder))) {
        return { acquired: false, blocker: { holder: older.state === "read" ? older.holder : undefined, path: olderBerthLock } };
    }
    const newest = await newestGeneration(lockDirectory);
    if (newest.generation > 0 && !newest.released) {
        const path = join(lockDirectory, `${newest.generation}.json`);
        const current = await readHolder(path);
        if (current.state === "gone") {
            return { acquired: false }; // cleaned up by a newer holder: look again
        }
        if (current.state === "unreadable" || !isStale(current.holder)) {
            return { acquired: false, blocker: { holder: current.state === "read" ? current.holder : undefined, path } };
        }
    }
    const generation = newest.generation + 1;
    if (!(await createExclusively(lockDirectory, `${generation}.json`, { ...me, generation }))) {
        return { acquired: false };
    }
    if ((await newestGeneration(lockDirectory)).generation > generation) {
        await rm(join(lockDirectory, `${generation}.json`), { force: true });
        return { acquired: false };
    }
    await removeOlderGenerations(lockDirectory, generation);
    return { acquired: true, generation };
}

async function newestGeneration(lockDirectory: string): Promise<{ generation: number; released: boolean }> {
    const entries = await readdir(lockDirectory);
    let generation = 0;
    for (const entry of entries) {
        const match = HOLDER_FILE.exec(entry) ?? RELEASED_FILE.exec(entry);
        if (match) {
            generation = Math.max(generation, Number(match[1]));
        }
    }
    return { generation, released: entries.includes(`${generation}.released`) };
}

/**
 * Creates `name` with the holder in it, or returns false if it exists. The
 * content is written to a file of our own first and linked into place, so the
 * name never appears empty or half-written, and link, unlike rename, never
 * replaces an existing file. On NFS a link whose reply was lost reports EEXIST
 * though it succeeded; our file's link count tells (open(2), O_EXCL).
 */
async function createExclusively(lockDirectory: string, name: string, holder: LockHolder): Promise<boolean> {
    const target = join(lockDirectory, name);
    const own = join(lockDirectory, `.${name}.${hostname()}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    const content = JSON.stringify(holder, null, 2);
    await writeFile(own, content, { flag: "wx" });
    try {
        await link(own, target);
        return true;
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EEXIST") {
            return (await stat(own)).nlink === 2;
        }
        if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS") {
            // A filesystem without hard links: O_EXCL alone (a reader may briefly find it empty, and waits).
            return createWithExclusiveOpen(target, content);
        }
        throw error;
    } finally {
        await rm(own, { force: true });
    }
}

async function createWithExclusiveOpen(target: string, content: string): Promise<boolean> {
    try {
        await writeFile(target, content, { flag: "wx" });
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
            return false;
        }
        throw error;
    }
}

/** The newest holder's housekeeping: older generations, and files a killed process left half-made. */
async function removeOlderGenerations(lockDirectory: string, generation: number): Promise<void> {
    for (const entry of await readdir(lockDirectory)) {
        const match = HOLDER_FILE.exec(entry) ?? RELEASED_FILE.exec(entry);
        const path = join(lockDirectory, entry);
        if (match && Number(match[1]) < generation) {
            await rm(path, { force: true });
        } else if (TEMPORARY_FILE.test(entry)) {
            const age = await stat(path).then((info) => Date.now() - info.mtimeMs, () => 0);
            if (age > 60_000) {
                await rm(path, { force: true });
            }
        }
    }
}

type HolderRead = { state: "read"; holder: LockHolder } | { state: "gone" } | { state: "unreadable" };

async function readHolder(path: string): Promise<HolderRead> {
    let text: string;
    try {
        text = await readFile(path, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            return { state: "gone" };
        }
        throw error;
    }
    try {
        const holder = JSON.parse(text) as LockHolder;
        if (typeof holder.pid === "number" && typeof holder.hostname === "string") {
            return { state: "read", holder };
        }
    } catch {
        // being written by an older berth, or damaged: treated as held
    }
    return { state: "unreadable" };
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
