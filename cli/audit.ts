import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Releases } from "./releases";

/** One line of a stack's audit log: who deployed what, when, and how it ended. */
export interface AuditEntry {
    at: string;
    actor: string;
    stack: string;
    command: string;
    from: Releases;
    to: Releases;
    result: "succeeded" | "failed" | "rolled back" | "rollback failed";
    /** For a rolled-back deploy: the releases restored. */
    restored?: Releases;
    error?: string;
    /** The Pulumi update that did it (`pulumi stack history`). */
    updateVersion?: number;
}

function auditPath(directory: string, stackName: string): string {
    return join(directory, "audit", `${stackName}.jsonl`);
}

/** Appends to the stack's audit log (JSON lines, never rewritten). */
export async function recordAudit(directory: string, entry: AuditEntry): Promise<void> {
    await mkdir(join(directory, "audit"), { recursive: true });
    await appendFile(auditPath(directory, entry.stack), `${JSON.stringify(entry)}\n`);
}

export async function readAudit(directory: string, stackName: string): Promise<AuditEntry[]> {
    try {
        const text = await readFile(auditPath(directory, stackName), "utf8");
        return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as AuditEntry);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            return [];
        }
        throw error;
    }
}
