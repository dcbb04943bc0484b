import { EngineEvent } from "@pulumi/pulumi/automation";
import { resourceName } from "./stackState";

/** One finished or failed step of a `pulumi up`, for the deploy's per-host progress and the benchmark's timeline. */
export interface StepReport {
    name: string;
    op: string;
    /** When the engine announced the step and when it ended, in ms since the progress began following. */
    startMs: number;
    endMs: number;
    failed: boolean;
}

/** The steps of one berth command's `pulumi up`s, in ms since it started. */
export class StepRecorder {
    readonly origin = Date.now();
    readonly steps: StepReport[] = [];
}

/**
 * Follows a `pulumi up`'s engine events: prints each changed step as it ends
 * (`sample-web-web-2  replace  7.1 s`) and keeps the error diagnostics, so a
 * failed deploy can say which step failed and why.
 */
export class DeployProgress {
    readonly steps: StepReport[];
    readonly errors: string[] = [];
    private readonly started = new Map<string, number>();
    private readonly origin: number;

    /**
     * `recorder`: the steps of every `pulumi up` of one command, on one clock
     * (a deploy and its restore), for the deploy report.
     */
    constructor(private readonly print: (line: string) => void = () => undefined, recorder?: StepRecorder) {
        this.origin = recorder?.origin ?? Date.now();
        this.steps = recorder?.steps ?? [];
    }

    /** Milliseconds since this progress began following the update. */
    elapsedMs(): number {
        return Date.now() - this.origin;
    }

    readonly onEvent = (event: EngineEvent): void => {
        if (event.resourcePreEvent) {
            const { urn, op, type } = event.resourcePreEvent.metadata;
            // "replace" only marks a replacement whose real steps are reported
            // on their own; a replaced command's deletion does nothing.
            const noise = op === "replace" || (op === "delete-replaced" && type.startsWith("command:"));
            if (op !== "same" && !noise) {
                this.started.set(`${urn} ${op}`, this.elapsedMs());
            }
        } else if (event.resOutputsEvent || event.resOpFailedEvent) {
            const { urn, op } = (event.resOutputsEvent ?? event.resOpFailedEvent)!.metadata;
            const startedAt = this.started.get(`${urn} ${op}`);
            if (startedAt === undefined) {
                return;
            }
            const step = { name: resourceName(urn), op, startMs: startedAt, endMs: this.elapsedMs(), failed: Boolean(event.resOpFailedEvent) };
            this.steps.push(step);
            const seconds = (step.endMs - step.startMs) / 1000;
            this.print(`  ${step.failed ? "✗" : "✓"} ${step.name.padEnd(36)} ${step.op.padEnd(18)} ${seconds.toFixed(1)} s`);
        } else if (event.diagnosticEvent?.severity === "error") {
            const { urn, message } = event.diagnosticEvent;
            const text = message.replace(/\u001b\[[0-9;]*m/g, "").trim();
            // The engine ends with a summary line ("update failed") that names no resource.
            if (urn) {
                this.errors.push(`${resourceName(urn)}: ${condense(text)}`);
            } else if (this.errors.length === 0) {
                this.errors.push(text);
            }
        }
    };

    /** The steps that failed, with the engine's reason. */
    failureSummary(): string {
        return this.errors.length > 0 ? this.errors.join("\n") : "pulumi up failed (no diagnostic)";
    }
}

/**
 * Diagnostics quote whole scripts and tracebacks; keep what the step says
 * about itself (its first lines) and how the output ended (its last lines).
 */
export function condense(message: string): string {
    const quoted = message.indexOf(': running "');
    const head = quoted >= 0 ? [message.slice(0, quoted)] : message.split("\n").slice(0, 2);
    const lines = message.split("\n").map((line) => line.trim()).filter(Boolean);
    if (lines.length <= 5) {
        return message;
    }
    return [...head, "…", ...lines.slice(-2)].join("\n");
}
