import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Releases } from "./releases";
import { stackFileName } from "./stateDirectory";

/** One line of a stack's audit log: who deployed what, when, and how it ended. */
export interface AuditEntry {
    at: string;
    actor: string;
    stack: string;
    command: string;
    from: Releases;
    to: Releases;
    /** `recovered`: a recovery removed what an interrupted update left (`removed`); it changes no release. */
    result: "succeeded" | "failed" | "rolled back" | "rollback failed" | "recovered";
    /** For a rolled-back deploy: the releases restored. */
    restored?: Releases;
    error?: string;
    /** The Pulumi update that did it (`pulumi stack history`). */
    updateVersion?: number;
    /** For a recovery: what it removed (a container, a dead process's update lock), and why. */
    removed?: string[];
}

function auditPath(directory: string, stackName: string): string {
    return join(directory, "audit", `${stackFileName(stackName)}.jsonl`);
}

/** Appends to the stack's audit log (JSON lines, never rewritten). */
export async function recordAudit(directory: string, entry: AuditEntry): Promise<void> {
    const path = auditPath(directory, entry.stack);
    await mkdir(join(directory, "audit"), { recursive: true });
    await appendFile(path, `${JSON.stringify(entry)}\n`);
}

export async function readAudit(directory: string, stackName: string): Promise<AuditEntry[]> {
    const path = auditPath(directory, stackName);
    try {
        const text = await readFile(path, "utf8");
        return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as AuditEntry);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            return [];
        }
        throw error;
    }
}
