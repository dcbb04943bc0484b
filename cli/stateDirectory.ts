import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Stack } from "@pulumi/pulumi/automation";

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
    const backend = stack.workspace.envVars.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL ?? "";
    return backend.startsWith("file://") ? fileURLToPath(backend) : undefined;
}
