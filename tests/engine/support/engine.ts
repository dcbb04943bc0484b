import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineEvent, LocalWorkspace, Stack, UpOptions, UpResult } from "@pulumi/pulumi/automation";
import { DeployProgress } from "../../../cli/progress";
import { repositoryRoot } from "./repository";

/**
 * `stack.up`, failing with the engine's error diagnostics (which step failed
 * and how its output ended) rather than the update's whole output, so a
 * failure's cause is in the first lines a CI log shows.
 */
export async function upExplained(stack: Stack, options: UpOptions = {}): Promise<UpResult> {
    const progress = new DeployProgress();
    const onEvent = (event: EngineEvent) => {
        progress.onEvent(event);
        options.onEvent?.(event);
    };
    try {
        return await stack.up({ ...options, onEvent });
    } catch (error) {
        const summary = progress.errors.length > 0 ? progress.failureSummary() : (error as Error).message.slice(-2000);
        throw new Error(`pulumi up of ${stack.name} failed:\n${summary}`);
    }
}


/** A stack with its own copy of a program and its own state backend. */
export interface ThrowawayStack {
    stack: Stack;
    /** Removes the stack from its backend and deletes the copies. Resources must be destroyed first. */
    remove(): Promise<void>;
}

/**
 * Copies a program directory to a temporary place (so the stack's config
 * files never land in the repository), links the repository's node_modules
 * into it, and creates a stack on a fresh file:// backend.
 */
export async function createThrowawayStack(programDirectory: string, stackName: string): Promise<ThrowawayStack> {
    const scratch = await mkdtemp(join(tmpdir(), "berth-engine-"));
    const workDirectory = join(scratch, "program");
    const backendDirectory = join(scratch, "state");
    await cp(programDirectory, workDirectory, { recursive: true });
    // The copy resolves @pulumi/* from the repository's installed packages.
    await symlink(join(repositoryRoot, "node_modules"), join(workDirectory, "node_modules"));
    await cp(join(repositoryRoot, "package.json"), join(workDirectory, "package.json"));
    await mkdir(backendDirectory);

    const stack = await LocalWorkspace.createStack(
        { stackName, workDir: workDirectory },
        { envVars: { PULUMI_BACKEND_URL: `file://${backendDirectory}?metadata=skip`, PULUMI_CONFIG_PASSPHRASE: "throwaway" } },
    );
    return {
        stack,
        async remove() {
            await stack.workspace.removeStack(stackName);
            await rm(scratch, { recursive: true, force: true });
        },
    };
}

/** What the engine said it did to one resource, from a resourcePreEvent. */
export interface EngineStep {
    sequence: number;
    op: string;
    urn: string;
    type: string;
    diffs: string[];
}

/** Collects the engine's events of one operation. */
export class EventLog {
    readonly events: EngineEvent[] = [];
    readonly onEvent = (event: EngineEvent): void => {
        this.events.push(event);
    };

    /** The steps the engine announced, in the engine's own order. */
    steps(): EngineStep[] {
        return this.events
            .filter((event) => event.resourcePreEvent)
            .map((event) => {
                const metadata = event.resourcePreEvent!.metadata;
                return {
                    sequence: event.sequence,
                    op: metadata.op,
                    urn: metadata.urn,
                    type: metadata.type,
                    diffs: metadata.diffs ?? [],
                };
            })
            .sort((left, right) => left.sequence - right.sequence);
    }

    stepsOfType(type: string): EngineStep[] {
        return this.steps().filter((step) => step.type === type);
    }
}

/** One step of one resource, from the engine's start and end events. */
export interface StepSpan {
    name: string;
    type: string;
    op: string;
    /** Sequence number of the step's start (resourcePreEvent). */
    start: number;
    /** Sequence number of its end (resOutputsEvent or resOpFailedEvent); Infinity if it never ended. */
    end: number;
    failed: boolean;
}

/** The steps of an operation with their start and end, in the engine's order. */
export function stepSpans(log: EventLog): StepSpan[] {
    const spans: StepSpan[] = [];
    const open = new Map<string, StepSpan>();
    for (const event of [...log.events].sort((left, right) => left.sequence - right.sequence)) {
        const started = event.resourcePreEvent?.metadata;
        const ended = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
        if (started) {
            const span = { name: started.urn.split("::").pop()!, type: started.type, op: started.op, start: event.sequence, end: Infinity, failed: false };
            spans.push(span);
            open.set(`${started.urn} ${started.op}`, span);
        } else if (ended) {
            const span = open.get(`${ended.urn} ${ended.op}`);
            if (span) {
                span.end = event.sequence;
                span.failed = Boolean(event.resOpFailedEvent);
                open.delete(`${ended.urn} ${ended.op}`);
            }
        }
    }
    return spans;
}

/** The one span of `name` with operation `op`; fails the test when there is not exactly one. */
export function onlySpan(spans: StepSpan[], name: string, op: string): StepSpan {
    const found = spans.filter((span) => span.name === name && span.op === op);
    if (found.length !== 1) {
        throw new Error(`expected one ${op} of ${name}, found ${found.length}; steps: ${spans.map((span) => `${span.op} ${span.name}`).join(", ")}`);
    }
    return found[0];
}
