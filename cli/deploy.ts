import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { AuditEntry, recordAudit } from "./audit";
import { currentActor, withStackLock } from "./lock";
import { policyOptions } from "./policyPack";
import { DeployProgress } from "./progress";
import { recoverInterruptedDeploy } from "./recover";
import { deployedState, describeChanges, desiredReleases, Releases, rollbackTargets, sameRelease, setReleases } from "./releases";
import { berthStateDirectory } from "./stateDirectory";

export interface DriverOptions {
    /** Progress lines; the CLI prints them. */
    log?: (line: string) => void;
    /** Wait this long for another deploy of the stack to finish; default: fail at once. */
    waitForLockMs?: number;
    /** Every engine event of every `pulumi up` the command runs. */
    onEvent?: (event: EngineEvent) => void;
}

/** How a `deploy` or `rollback` ended. */
export interface DeployOutcome {
    result: "succeeded" | "rolled back";
    from: Releases;
    to: Releases;
    /** Set when the rollout failed and berth put the previous releases back. */
    restored?: Releases;
    /** What failed, from the engine's diagnostics. */
    failure?: string;
}

export class RollbackFailedError extends Error {}

/**
 * `berth deploy`: `pulumi up` to the releases in the stack's config. When the
 * rollout fails (a health gate, a release task, anything), the releases that
 * were deployed before are written back into the config and `pulumi up` runs
 * again, so every host ends on the previous version; the outcome says what
 * failed and what was restored. Holds the stack's deploy lock throughout and
 * first recovers from an interrupted earlier deploy.
 */
export async function deploy(stack: Stack, options: DriverOptions = {}): Promise<DeployOutcome> {
    return withDriverLock(stack, "deploy", options, async (log) => {
        const { deployed } = await deployedState(stack);
        const desired = await desiredReleases(stack);
        return upOrRestore(stack, "deploy", deployed, desired, deployed, log, options.onEvent);
    });
}

/**
 * `berth rollback [--to TAG]`: back to the previous release (or the named
 * tag) on every host. After a deploy that failed part-way, "previous" is
 * what the last successful deploy put there. The config is updated so the
 * next preview shows no changes.
 */
export async function rollback(stack: Stack, options: DriverOptions & { to?: string } = {}): Promise<DeployOutcome> {
    return withDriverLock(stack, options.to ? `rollback --to ${options.to}` : "rollback", options, async (log) => {
        const state = await deployedState(stack);
        const desired = await desiredReleases(stack);
        const targets = rollbackTargets(desired, state, options.to);
        if (Object.keys(targets).length === 0) {
            throw new Error(`stack ${stack.name} has no earlier release to roll back to: it has been deployed once at most`);
        }
        log(`rolling back: ${describeChanges(desired, targets).join("; ") || "config already names the previous release"}`);
        await setReleases(stack, targets);
        // A failed rollback restores nothing further: what it aimed at was the safe place.
        return upOrRestore(stack, "rollback", state.deployed, { ...desired, ...targets }, undefined, log, options.onEvent);
    });
}

async function withDriverLock(stack: Stack, command: string, options: DriverOptions, work: (log: (line: string) => void) => Promise<DeployOutcome>): Promise<DeployOutcome> {
    const log = options.log ?? (() => undefined);
    const directory = berthStateDirectory(stack);
    return withStackLock(directory, stack.name, command, async () => {
        await recoverInterruptedDeploy(stack, log, { lockHeld: true, command });
        return work(log);
    }, { waitMs: options.waitForLockMs });
}

async function upOrRestore(
    stack: Stack,
    command: string,
    from: Releases,
    to: Releases,
    restoreTo: Releases | undefined,
    log: (line: string) => void,
    onEvent?: (event: EngineEvent) => void,
): Promise<DeployOutcome> {
    const actor = currentActor();
    /** One line in the audit log: who and what, plus how it ended. */
    const audit = (ending: Pick<AuditEntry, "result" | "restored" | "error" | "updateVersion">) =>
        recordAudit(berthStateDirectory(stack), { at: new Date().toISOString(), actor, stack: stack.name, command, from, to, ...ending });
    const changes = describeChanges(from, to).join("; ") || "no release change";
    log(`${command} ${stack.name}: ${changes}`);
    const first = await runUp(stack, `berth ${command} by ${actor}: ${changes}`, log, onEvent);
    if (first.ok) {
        await audit({ result: "succeeded", updateVersion: first.version });
        return { result: "succeeded", from, to };
    }

    const restore = restoreTo ? changedApps(restoreTo, to) : {};
    if (Object.keys(restore).length === 0) {
        await audit({ result: "failed", error: first.failure });
        throw new Error(`${command} of ${stack.name} failed, and there is no earlier release to restore:\n${first.failure}`);
    }
    log(`the rollout failed:\n${indent(first.failure)}\nrestoring ${describeChanges(to, restore).join("; ")}`);
    await setReleases(stack, restore);
    const second = await runUp(stack, `berth ${command} by ${actor}: restore after a failed rollout`, log, onEvent);
    if (!second.ok) {
        await audit({ result: "rollback failed", restored: restore, error: `${first.failure}\n${second.failure}` });
        throw new RollbackFailedError(`${command} of ${stack.name} failed:\n${indent(first.failure)}\nand restoring ${describeChanges(to, restore).join("; ")} failed too:\n${indent(second.failure)}`);
    }
    await audit({ result: "rolled back", restored: restore, error: first.failure, updateVersion: second.version });
    return { result: "rolled back", from, to, restored: restore, failure: first.failure };
}

/** Of `previous`, the apps whose release differs from `attempted`. */
function changedApps(previous: Releases, attempted: Releases): Releases {
    return Object.fromEntries(Object.entries(previous).filter(([name, release]) => !sameRelease(release, attempted[name])));
}

async function runUp(
    stack: Stack,
    message: string,
    log: (line: string) => void,
    onEvent?: (event: EngineEvent) => void,
): Promise<{ ok: true; version: number } | { ok: false; failure: string }> {
    const progress = new DeployProgress(log);
    const forward = (event: EngineEvent) => {
        progress.onEvent(event);
        onEvent?.(event);
    };
    try {
        const result = await stack.up({ message, onEvent: forward, color: "never", ...policyOptions(stack.name) });
        return { ok: true, version: result.summary.version };
    } catch (error) {
        const failure = progress.errors.length > 0 ? progress.failureSummary() : lastErrorLines((error as Error).message);
        return { ok: false, failure };
    }
}

function lastErrorLines(message: string): string {
    const lines = message.split("\n").filter((line) => /error/i.test(line));
    return (lines.length > 0 ? lines : message.split("\n")).slice(0, 12).join("\n");
}

function indent(text: string): string {
    return text.split("\n").map((line) => `    ${line}`).join("\n");
}
