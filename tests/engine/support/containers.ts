import { execFile } from "node:child_process";
import { run, succeeds } from "./processes";

/** How a program ended: its exit code and what it wrote. */
export interface Exit {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a program (no shell) and resolves with its exit code, whatever it is. */
export function runForExit(file: string, args: string[], options: { input?: string } = {}): Promise<Exit> {
    return new Promise((resolve, reject) => {
        const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error && typeof error.code !== "number") {
                reject(error);
                return;
            }
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        });
        child.stdin?.end(options.input ?? "");
    });
}

/**
 * Polls `probe` until it returns a value other than undefined; a throwing
 * probe counts as "not yet". On timeout the error names what was awaited,
 * the last failure, and whatever `diagnose` adds (container logs, say).
 */
export async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    options: { timeoutMs: number; intervalMs?: number; diagnose?: () => Promise<string> },
): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    let lastFailure = "";
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) {
                return value;
            }
            lastFailure = "";
        } catch (error) {
            lastFailure = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() >= deadline) {
            const diagnosis = options.diagnose ? await options.diagnose().catch((error: Error) => error.message) : "";
            throw new Error(
                [`timed out after ${options.timeoutMs} ms waiting for ${what}`, lastFailure && `last failure: ${lastFailure}`, diagnosis]
                    .filter(Boolean)
                    .join("\n"),
            );
        }
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
}

/** A field of `docker inspect`, by Go template, e.g. `{{.State.Health.Status}}`. */
export async function inspectContainer(name: string, template: string): Promise<string> {
    return (await run("docker", ["container", "inspect", "--format", template, name])).trim();
}

/** The last lines of a container's output (stdout and stderr), for failure messages. */
export async function containerLogs(name: string, lines = 80): Promise<string> {
    const { stdout, stderr } = await runForExit("docker", ["logs", "--tail", String(lines), name]);
    return `--- docker logs ${name} ---\n${stdout}${stderr}`;
}

/** Waits until Docker reports the container's HEALTHCHECK as healthy. */
export function waitUntilHealthy(name: string, timeoutMs: number): Promise<string> {
    return waitFor(
        `container ${name} to be healthy`,
        async () => {
            const status = await inspectContainer(name, "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}");
            if (status.startsWith("exited") || status.startsWith("dead")) {
                throw new Error(`${name} is ${status}`);
            }
            return status.endsWith(" healthy") ? status : undefined;
        },
        { timeoutMs, diagnose: () => containerLogs(name) },
    );
}

/** Creates a user-defined bridge network; Docker picks the subnet. */
export async function createNetwork(name: string): Promise<void> {
    await run("docker", ["network", "create", name]);
}

export async function removeNetworks(...names: string[]): Promise<void> {
    for (const name of names) {
        await succeeds("docker", ["network", "rm", name]);
    }
}
