import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Runs a program (no shell) and returns its stdout; rejects with stderr on failure. */
export async function run(file: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
    try {
        const { stdout } = await execFileAsync(file, args, { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
        return stdout;
    } catch (error) {
        const failure = error as { stderr?: string; message: string };
        throw new Error(`${file} ${args.join(" ")} failed: ${failure.stderr || failure.message}`);
    }
}

/** Like run, but resolves to false instead of rejecting. */
export async function succeeds(file: string, args: string[]): Promise<boolean> {
    try {
        await execFileAsync(file, args);
        return true;
    } catch {
        return false;
    }
}

/**
 * Kills, with SIGKILL, every process whose working directory is `directory`
 * and all their descendants: what a crashed deploying machine does to a
 * `pulumi up` (the CLI, the language host, the provider plugins). Returns
 * how many processes it killed.
 */
export async function killProcessesIn(directory: string): Promise<number> {
    const { readdir, readlink, readFile } = await import("node:fs/promises");
    const parents = new Map<number, number>();
    const rooted: number[] = [];
    for (const entry of await readdir("/proc")) {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || pid === process.pid) {
            continue;
        }
        try {
            const stat = await readFile(`/proc/${pid}/stat`, "utf8");
            parents.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
            if ((await readlink(`/proc/${pid}/cwd`)) === directory) {
                rooted.push(pid);
            }
        } catch {
            // gone meanwhile, or not ours to read
        }
    }
    const victims = new Set(rooted);
    for (let grew = true; grew;) {
        grew = false;
        for (const [pid, parent] of parents) {
            if (victims.has(parent) && !victims.has(pid)) {
                victims.add(pid);
                grew = true;
            }
        }
    }
    for (const pid of victims) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    return victims.size;
}
