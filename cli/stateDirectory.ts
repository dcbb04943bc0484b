import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Stack } from "@pulumi/pulumi/automation";

/**
 * Where berth keeps its deploy lock and audit log for a stack: beside the
 * stack's state when the backend is a directory (file://), so everyone who
 * shares the state shares them; otherwise in the project's `.berth/`.
 */
export function berthStateDirectory(stack: Stack): string {
    return join(fileBackendDirectory(stack) ?? stack.workspace.workDir, ".berth");
}

/** The diy backend's own directory (file://), where Pulumi keeps its update locks. */
export function fileBackendDirectory(stack: Stack): string | undefined {
    const backend = configuredBackendUrl(stack);
    return backend.startsWith("file://") ? fileURLToPath(backend) : undefined;
}

function configuredBackendUrl(stack: Stack): string {
    return stack.workspace.envVars.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL ?? "";
}

/**
 * How berth can tell whether an update holds the stack:
 *  - `file`: a diy backend in a directory; Pulumi's lock files are read directly;
 *  - `bucket`: a diy backend in object storage (s3://, gs://, azblob://) or PostgreSQL:
 *    the lock files are there, out of berth's reach, so Pulumi's own lock (taken by
 *    `pulumi refresh`) is the check;
 *  - `cloud`: Pulumi Cloud (or a self-hosted service), which knows its update in progress.
 */
export type BackendKind = "file" | "bucket" | "cloud";

export interface Backend {
    kind: BackendKind;
    url: string;
    /** For `file`: the directory. */
    directory?: string;
}

/** The stack's backend: PULUMI_BACKEND_URL, else the one `pulumi login` chose (`pulumi whoami`). */
export async function stackBackend(stack: Stack): Promise<Backend> {
    const url = configuredBackendUrl(stack) || (await stack.workspace.whoAmI()).url || "https://api.pulumi.com";
    return { url, ...backendKind(url) };
}

/** Pure: the kind of backend a URL names. */
export function backendKind(url: string): { kind: BackendKind; directory?: string } {
    if (url.startsWith("file://")) {
        return { kind: "file", directory: fileURLToPath(url) };
    }
    return /^(s3|gs|azblob|postgres|postgresql):\/\//.test(url) ? { kind: "bucket" } : { kind: "cloud" };
}

/** A stack as Pulumi accepts it on the command line: `stack`, `org/stack` or `org/project/stack`. */
export interface StackReference {
    organization?: string;
    project?: string;
    stack: string;
}

// Pulumi's own rule for organization, project and stack names (tokens.ParseStackName,
// tokens.IsName): letters, digits, `_`, `.` and `-`, at most 100 of them.
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Pure: the parts of a stack reference; throws on anything Pulumi would not accept. */
export function parseStackReference(reference: string): StackReference {
    const parts = reference.split("/");
    if (parts.length > 3 || !parts.every((part) => NAME.test(part))) {
        throw new Error(
            `${JSON.stringify(reference)} is not a valid Pulumi stack name: expected stack, org/stack or org/project/stack, ` +
                "each part 1 to 100 letters, digits, '_', '.' or '-'",
        );
    }
    const stack = parts[parts.length - 1];
    return parts.length === 3 ? { organization: parts[0], project: parts[1], stack } : parts.length === 2 ? { organization: parts[0], stack } : { stack };
}

/**
 * Pure: the file name berth gives a stack's lock, audit log and recovery
 * journal (before their suffix). It is the stack's own name: Pulumi refuses
 * another project's stack for this program, and a diy backend has the one
 * organization `organization`, so `prod`, `organization/prod` and
 * `organization/berth/prod` are one stack and one file. (On Pulumi Cloud,
 * `alice/prod` and `bob/prod` share the name: they also share the lock, which
 * costs a wait, never a second holder.) Never contains a path separator, and
 * with a suffix it is never `.` or `..`.
 */
export function stackFileName(reference: string): string {
    return parseStackReference(reference).stack;
}

/**
 * Pure: where a file:// backend keeps Pulumi's update locks of the stack:
 * `.pulumi/locks/organization/<project>/<stack>/` in a backend with projects,
 * `.pulumi/locks/<stack>/` in a legacy one (a backend from before diy backends had projects).
 */
export function pulumiLockDirectories(backendDirectory: string, project: string, reference: string): string[] {
    const parsed = parseStackReference(reference);
    const locks = join(backendDirectory, ".pulumi", "locks");
    return [join(locks, "organization", parsed.project ?? project, parsed.stack), join(locks, parsed.stack)];
}
