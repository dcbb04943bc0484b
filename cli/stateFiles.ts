import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { fileBackendDirectory, stackFileName } from "./stateDirectory";

/**
 * A `pulumi up` killed while it writes a checkpoint to a file:// backend can
 * leave the checkpoint's `.attrs` sidecar empty. That file is the blob
 * library's metadata (JSON) beside each state file; the state file itself is
 * written to a temporary file and renamed, so it is whole. With the sidecar
 * empty every later Pulumi command fails with "failed to load checkpoint:
 * EOF". The library treats a missing sidecar as "no metadata", so removing
 * an empty one makes the stack readable again. Returns the files removed.
 */
export async function removeTruncatedStateMetadata(stack: Stack, log: (line: string) => void = () => undefined): Promise<string[]> {
    const backend = fileBackendDirectory(stack);
    if (!backend) {
        return [];
    }
    const name = stackFileName(stack.name);
    const stacks = join(backend, ".pulumi", "stacks");
    // `stacks/<project>/<stack>.json` in a backend with projects, `stacks/<stack>.json` in a legacy one.
    const directories = [stacks, ...(await subdirectories(stacks))];
    const removed: string[] = [];
    for (const directory of directories) {
        for (const entry of await readdir(directory).catch(() => [] as string[])) {
            if (!entry.startsWith(`${name}.`) || !entry.endsWith(".attrs")) {
                continue;
            }
            const path = join(directory, entry);
            if ((await stat(path)).size === 0) {
                await rm(path);
                removed.push(path);
                log(`removed ${path}: an interrupted state write left it empty, which made the stack unreadable`);
            }
        }
    }
    return removed;
}

async function subdirectories(directory: string): Promise<string[]> {
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory()).map((entry) => join(directory, entry.name));
}
