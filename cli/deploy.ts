import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { AuditRun } from "./audit";
import { flipCode, prepareCodeFlips } from "./codeRollback";
import { withStackLock } from "./lock";
import { policyOptions } from "./policyPack";
import { DeployProgress, StepRecorder } from "./progress";
import { Recovery, recoverInterruptedDeploy } from "./recover";
import { berthConfig, deployedState, describeChanges, desiredReleases, parseRollbackTo, releasesInConfig, Releases, rollbackTargets, sameRelease, setReleases } from "./releases";
import { readRepairs } from "./repair";
import { removeTruncatedStateMetadata } from "./stateFiles";
import { berthStateDirectory } from "./stateDirectory";
import { undrainHealthyServers } from "./undrain";

export interface DriverOptions {
    /** Progress lines; the CLI prints them. */
    log?: (line: string) => void;
    /** Wait this long for another deploy of the stack to finish; default: fail at once. */
    waitForLockMs?: number;
    /** Every engine event of every `pulumi up` the command runs. */
    onEvent?: (event: EngineEvent) => void;
    /** Collects every `pulumi up` step of the command, for its deploy report (cli/deployReport.ts). */
    recorder?: StepRecorder;
}

export interface DeployOptions extends DriverOptions {
    /** Converge hosts that drifted from the stack (see planRepairs). Default true; `--no-repair` sets false. */
    repair?: boolean;
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
export async function deploy(stack: Stack, options: DeployOptions = {}): Promise<DeployOutcome> {
    return driverRun(stack, "deploy", options, async () => {
        const { deployed } = await deployedState(stack);
        const desired = await desiredReleases(stack);
        return {
            from: deployed,
            to: desired,
            execute: async (audit, log) => {
                // The outputs read above still hold: recovery's refresh and removals do not run the program.
                const replace = options.repair === false ? [] : await repairsToMake(stack, deployed, log);
                return upOrRestore(stack, audit, deployed, desired, deployed, log, options, replace);
            },
        };
    });
}

/**
 * What drifted from the stack (what `status` reports) and the resources a
 * deploy replaces to converge it. Read after recovery, under the lock.
 */
async function repairsToMake(stack: Stack, deployed: Releases, log: (line: string) => void): Promise<string[]> {
    const { lines, urns } = await readRepairs(stack, deployed).catch((error: Error) => {
        throw new Error(`reading the hosts to check for drift failed (\`berth deploy --no-repair\` deploys without the check): ${error.message}`);
    });
    for (const line of lines) {
        log(`repairing ${line}`);
    }
    return urns;
}

/**
 * `berth rollback [--to APP=TAG[@REF],...]`: back to the previous release on
 * every host, or, with `to`, the named apps to the named releases (a bare
 * `TAG` only on a stack with one app; see parseRollbackTo). After a deploy
 * that failed part-way, "previous" is what the last successful deploy put
 * there. The config is updated so the next preview shows no changes.
 */
export async function rollback(stack: Stack, options: DriverOptions & { to?: string | string[] } = {}): Promise<DeployOutcome> {
    const to = options.to === undefined ? [] : [options.to].flat();
    return driverRun(stack, to.length > 0 ? `rollback --to ${to.join(",")}` : "rollback", options, async () => {
        const state = await deployedState(stack);
        const config = await berthConfig(stack);
        const desired = releasesInConfig(config);
        const targets = rollbackTargets(desired, state, to.length > 0 ? parseRollbackTo(to, desired) : undefined);
        if (Object.keys(targets).length === 0) {
            throw new Error(`stack ${stack.name} has no earlier release to roll back to: it has been deployed once at most`);
        }
        const wanted = { ...desired, ...targets };
        return {
            from: state.deployed,
            to: wanted,
            execute: async (audit, log) => {
                log(`rolling back: ${describeChanges(desired, targets).join("; ") || "config already names the previous release"}`);
                // The config first: hosts never run a release the config does not name.
                await setReleases(stack, targets);
                await flipKeptCode(stack, config, state.deployed, targets, log);
                // A failed rollback restores nothing further: what it aimed at was the safe place.
                return upOrRestore(stack, audit, state.deployed, wanted, undefined, log, options);
            },
        };
    });
}

/**
 * rollback's fast path (see codeRollback.ts): when only code refs go back
 * and every host keeps the release, the hosts flip to it directly, before
 * the `pulumi up` that records it (and finds nothing left to reload). A
 * failed flip is reported and left to that `pulumi up`, which switches
 * every host again where it did not finish.
 */
async function flipKeptCode(stack: Stack, config: Record<string, unknown>, deployed: Releases, targets: Releases, log: (line: string) => void): Promise<void> {
    const started = Date.now();
    try {
        const { plan, fleet } = await prepareCodeFlips(stack, config, deployed, targets);
        if ("fullDeploy" in plan) {
            log(`rolling back through pulumi up: ${plan.fullDeploy}`);
            return;
        }
        const checked = (Date.now() - started) / 1000;
        const flipped = await flipCode(plan.flips, fleet!, log);
        log(`code rolled back on every host in ${flipped.seconds.toFixed(1)} s (web hosts in ${flipped.webSeconds.toFixed(1)} s; ` +
            `reading the stack and checking that every host keeps the release took ${checked.toFixed(1)} s before); recording it in the stack (pulumi up)`);
    } catch (error) {
        log(`the direct code flip failed after ${((Date.now() - started) / 1000).toFixed(1)} s: ${(error as Error).message}\npulumi up rolls back the rest`);
    }
}

/**
 * `berth recover` on its own: what `deploy` and `rollback` do first, under
 * the stack's lock, with its own audit record (started, then the result).
 */
export async function recoverStack(stack: Stack, options: DriverOptions = {}): Promise<Recovery> {
    const log = options.log ?? (() => undefined);
    return withStackLock(berthStateDirectory(stack), stack.name, "recover", async () => {
        await removeTruncatedStateMetadata(stack, log);
        const audit = await AuditRun.start(stack, { command: "recover", from: {}, to: {} });
        try {
            const recovery = await recoverInterruptedDeploy(stack, log, { lockHeld: true, command: "recover" });
            const removed = [...recoveryLines(recovery), ...(await undrainAfterRecovery(stack, log))];
            await audit.finish({ result: removed.length > 0 ? "recovered" : "succeeded", ...(removed.length > 0 ? { removed } : {}) }, log);
            return recovery;
        } catch (error) {
            await audit.finish({ result: "failed", error: (error as Error).message }, log);
            throw error;
        }
    }, { waitMs: options.waitForLockMs });
}

/** What a driver command will do, read before anything changes; `execute` then changes it. */
interface DriverPlan {
    from: Releases;
    to: Releases;
    execute: (audit: AuditRun, log: (line: string) => void) => Promise<DeployOutcome>;
}

/**
 * The frame of `deploy` and `rollback`: the lock, the plan (reads only), the
 * audit's started record (before anything changes), recovery, then the work.
 * Whatever throws after the start is recorded as the run's failure.
 */
async function driverRun(stack: Stack, command: string, options: DriverOptions, plan: () => Promise<DriverPlan>): Promise<DeployOutcome> {
    const log = options.log ?? (() => undefined);
    return withStackLock(berthStateDirectory(stack), stack.name, command, async () => {
        // Before anything reads the state: a killed run may have left it unreadable.
        await removeTruncatedStateMetadata(stack, log);
        const planned = await plan();
        const audit = await AuditRun.start(stack, { command, from: planned.from, to: planned.to });
        try {
            const recovery = await recoverInterruptedDeploy(stack, log, { lockHeld: true, command });
            const recovered = recoveryLines(recovery);
            audit.noteRecovery(recovered.length > 0 ? [...recovered, ...(await undrainAfterRecovery(stack, log))] : recovered);
            return await planned.execute(audit, log);
        } catch (error) {
            if (!audit.finished) {
                await audit.finish({ result: "failed", error: (error as Error).message }, log);
            }
            throw error;
        }
    }, { waitMs: options.waitForLockMs });
}

/** A run killed between a drain and its undrain left a host out of rotation: the audit lines of those put back. */
async function undrainAfterRecovery(stack: Stack, log: (line: string) => void): Promise<string[]> {
    const { undrained } = await undrainHealthyServers(stack, log);
    return undrained.map((server) => `upstream server ${server} left drained, undrained (healthy)`);
}

/** What a recovery removed or cleared, for the run's audit record (recovery's own log lines give the details). */
function recoveryLines(recovery: Recovery): string[] {
    return [
        ...(recovery.staleLocks > 0 ? [`${recovery.staleLocks} Pulumi update lock(s) of a process that no longer runs`] : []),
        ...recovery.pendingOperations.map((operation) => `pending operation ${operation}, cleared by pulumi refresh`),
        ...recovery.orphanContainers.map((container) => `container ${container}, whose create was interrupted`),
    ];
}

async function upOrRestore(
    stack: Stack,
    audit: AuditRun,
    from: Releases,
    to: Releases,
    restoreTo: Releases | undefined,
    log: (line: string) => void,
    options: DriverOptions,
    replace: string[] = [],
): Promise<DeployOutcome> {
    const command = audit.command;
    const changes = describeChanges(from, to).join("; ") || "no release change";
    log(`${command} ${stack.name}: ${changes}${replace.length > 0 ? `, and repairing drift (${replace.length} resources to replace)` : ""}`);
    const first = await runUp(stack, audit.updateMessage("rollout", from, to), log, options, replace);
    if (first.ok) {
        await audit.finish({ result: "succeeded", updateVersion: first.version }, log);
        return { result: "succeeded", from, to };
    }

    const restore = restoreTo ? changedApps(restoreTo, to) : {};
    if (Object.keys(restore).length === 0) {
        const stillDrained = await undrainAfterFailure(stack, log);
        await audit.finish({ result: "failed", error: first.failure }, log);
        throw new Error(`${command} of ${stack.name} failed, and there is no earlier release to restore:\n${first.failure}${stillDrained}`);
    }
    log(`the rollout failed:\n${indent(first.failure)}\nrestoring ${describeChanges(to, restore).join("; ")}`);
    await setReleases(stack, restore);
    const second = await runUp(stack, audit.updateMessage("restore", to, { ...to, ...restore }), log, options);
    if (!second.ok) {
        const stillDrained = await undrainAfterFailure(stack, log);
        await audit.finish({ result: "rollback failed", restored: restore, error: `${first.failure}\n${second.failure}` }, log);
        throw new RollbackFailedError(
            `${command} of ${stack.name} failed:\n${indent(first.failure)}\nand restoring ${describeChanges(to, restore).join("; ")} failed too:\n${indent(second.failure)}${stillDrained}\n` +
            "The config names the restored releases. Fix the cause above, then run `berth deploy` (or `berth status` to see what runs where).",
        );
    }
    await undrainAfterFailure(stack, log);
    await audit.finish({ result: "rolled back", restored: restore, error: first.failure, updateVersion: second.version }, log);
    return { result: "rolled back", from, to, restored: restore, failure: first.failure };
}

/** Of `previous`, the apps whose release differs from `attempted`. */
function changedApps(previous: Releases, attempted: Releases): Releases {
    return Object.fromEntries(Object.entries(previous).filter(([name, release]) => !sameRelease(release, attempted[name])));
}

/**
 * After a failed `pulumi up`: no host stays drained that can serve. Returns
 * a sentence for the error about any that stay drained (not healthy).
 */
async function undrainAfterFailure(stack: Stack, log: (line: string) => void): Promise<string> {
    try {
        const { leftDrained } = await undrainHealthyServers(stack, log);
        return leftDrained.length === 0 ? "" : `\nstill drained in nginx (not healthy): ${leftDrained.join("; ")}`;
    } catch (error) {
        log(`could not check nginx for drained servers: ${(error as Error).message}`);
        return `\ncould not check nginx for drained servers (run \`berth status\`): ${(error as Error).message}`;
    }
}

async function runUp(
    stack: Stack,
    message: string,
    log: (line: string) => void,
    options: DriverOptions,
    replace: string[] = [],
): Promise<{ ok: true; version: number } | { ok: false; failure: string }> {
    const progress = new DeployProgress(log, options.recorder);
    const forward = (event: EngineEvent) => {
        progress.onEvent(event);
        options.onEvent?.(event);
    };
    for (let attempt = 1; ; attempt++) {
        try {
            const result = await stack.up({ message, onEvent: forward, color: "never", ...(replace.length > 0 ? { replace } : {}), ...policyOptions(stack.name) });
            return { ok: true, version: result.summary.version };
        } catch (error) {
            const failure = progress.errors.length > 0 ? progress.failureSummary() : lastErrorLines((error as Error).message);
            if (attempt === 1 && isTornCheckpointRead(failure)) {
                // Nothing failed on a host: the program's read of the stack's own outputs
                // (berth-history) met a checkpoint the engine was writing. Run it again.
                log(`the stack's own state was read while Pulumi wrote it (${failure.split("\n")[0]}); running pulumi up again`);
                progress.errors.length = 0;
                continue;
            }
            return { ok: false, failure };
        }
    }
}

/**
 * On a file:// backend the blob library rewrites a state file's metadata
 * sidecar in place, so a read during a checkpoint write can find it empty
 * ("failed to load checkpoint: EOF"). berth's program reads its own stack's
 * outputs (the `berth-history` reference): in the same `up`, that read can
 * meet the engine's write. Pure.
 */
export function isTornCheckpointRead(failure: string): boolean {
    return /berth-history: .*failed to load checkpoint: (unexpected )?EOF/.test(failure);
}

function lastErrorLines(message: string): string {
    const lines = message.split("\n").filter((line) => /error/i.test(line));
    return (lines.length > 0 ? lines : message.split("\n")).slice(0, 12).join("\n");
}

function indent(text: string): string {
    return text.split("\n").map((line) => `    ${line}`).join("\n");
}
