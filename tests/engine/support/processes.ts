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
