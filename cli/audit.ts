import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { describeChanges, Releases, sameRelease } from "./releases";
import { berthStateDirectory, stackBackend, stackFileName } from "./stateDirectory";

// The audit of a stack is kept in three places, merged by `berth audit`:
//  - the stack's tags, one per berth run (`berth:audit:<run>`): written before
//    anything changes ("started") and again with the result. Tags live with the
//    state on every backend (a file beside the state in a diy backend, file:// or
//    a bucket; the stack's record on Pulumi Cloud), so a run killed in between
//    stays visible as started without a result;
//  - the message of every `pulumi up` berth runs: who, what, and the run it
//    belongs to. Pulumi's update history keeps it on every backend, with the
//    update's own result, for as long as the stack exists;
//  - the JSON-lines file beside a file:// backend's state (in the project's
//    `.berth/` for other backends), as before: every line, never rewritten.

/** How a berth run ended. `recovered`: a recovery removed what an interrupted update left (`removed`); it changes no release. */
export type AuditResult = "succeeded" | "failed" | "rolled back" | "rollback failed" | "recovered";

/**
 * Who ran berth, as far as the machine running it can tell. Nothing here is
 * authenticated: whoever starts berth sets its environment and its machine.
 */
export interface ActorIdentity {
    /** What the environment claims: BERTH_ACTOR, else GITHUB_ACTOR; absent when neither is set. */
    claimed?: string;
    /** What the machine says: the OS user and host name that ran berth (`user@host`). */
    observed: string;
    /** In GitHub Actions: the workflow run, whose log GitHub keeps ($GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID). */
    ciRun?: string;
    /** On Pulumi Cloud: the account of the access token (`pulumi whoami`), which Pulumi Cloud authenticated; often a team's CI token. */
    backendUser?: string;
}

/** One line of a stack's audit log file: who deployed what, when, and how it ended. */
export interface AuditEntry {
    at: string;
    /** Who, in one word: the claimed actor, else the observed user@host (`identity` has both). */
    actor: string;
    identity?: ActorIdentity;
    /** The berth run the line belongs to: its `started` line and its result line share it (absent in lines of older berths). */
    run?: string;
    stack: string;
    command: string;
    from: Releases;
    to: Releases;
    /** `started`: written before the run changed anything; its result follows in a second line, unless the run was killed. */
    result: AuditResult | "started";
    /** For a rolled-back deploy: the releases restored. */
    restored?: Releases;
    error?: string;
    /** The Pulumi update that did it (`pulumi stack history`; a diy backend numbers none, and records 0). */
    updateVersion?: number;
    /** For a recovery: what it removed (a container, a dead process's update lock), and why. */
    removed?: string[];
}

/** Pure: the actor from an environment and a machine: claimed (BERTH_ACTOR, GITHUB_ACTOR) and observed (user@host, the CI run). */
export function actorIdentity(env: NodeJS.ProcessEnv = process.env, machine: { user: string; host: string } = localMachine()): ActorIdentity {
    const claimed = env.BERTH_ACTOR || env.GITHUB_ACTOR || undefined;
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: attempt } = env;
    const ciRun = server && repository && runId ? `${server.replace(/\/+$/, "")}/${repository}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ""}` : undefined;
    return { ...(claimed ? { claimed } : {}), observed: `${machine.user}@${machine.host}`, ...(ciRun ? { ciRun } : {}) };
}

function localMachine(): { user: string; host: string } {
    let user: string;
    try {
        user = userInfo().username;
    } catch {
        // A uid with no passwd entry (some containers).
        user = `uid-${process.getuid?.() ?? "unknown"}`;
    }
    return { user, host: hostname() };
}

/** Pure: "alice (claimed), root@runner-7 (observed), https://github.com/…/runs/42"; the labels say what berth could not check. */
export function describeActor(identity: ActorIdentity): string {
    return [
        ...(identity.claimed ? [`${identity.claimed} (claimed)`] : []),
        `${identity.observed} (observed)`,
        ...(identity.ciRun ? [identity.ciRun] : []),
        ...(identity.backendUser ? [`Pulumi Cloud user ${identity.backendUser}`] : []),
    ].join(", ");
}

function auditPath(directory: string, stackName: string): string {
    return join(directory, "audit", `${stackFileName(stackName)}.jsonl`);
}

/** Appends to the stack's audit log (JSON lines, never rewritten). A line without an identity gets this process's. */
export async function recordAudit(directory: string, entry: AuditEntry): Promise<void> {
    const path = auditPath(directory, entry.stack);
    await mkdir(join(directory, "audit"), { recursive: true });
    await appendFile(path, `${JSON.stringify(entry.identity ? entry : { ...entry, identity: actorIdentity() })}\n`);
}

/** The log file's finished entries: every result line (`started` lines left out), as older berths wrote them. */
export async function readAudit(directory: string, stackName: string): Promise<AuditEntry[]> {
    return (await readAuditLines(directory, stackName)).filter((entry) => entry.result !== "started");
}

/** Every line of the stack's audit log file, `started` lines included. */
export async function readAuditLines(directory: string, stackName: string): Promise<AuditEntry[]> {
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

// --- Records that live with the state: stack tags and update messages ---------------------------

/** The prefix of berth's audit tags: `berth:audit:<run>`. */
export const AUDIT_TAG_PREFIX = "berth:audit:";
/** How many runs keep their tag; older ones are removed (their updates stay in Pulumi's history). */
export const AUDIT_TAGS_KEPT = 25;
/** Pulumi Cloud's limit on a stack tag's value (bytes; the diy backends take the same, unchecked). */
export const TAG_VALUE_LIMIT = 256;
/** The line of an update message that holds berth's record, as JSON. */
const MESSAGE_MARKER = "berth-audit: ";

/** What a run's tag holds: its start is in the run id; the releases are in its updates' messages and the log file. */
export interface TagRecord {
    command: string;
    claimed?: string;
    observed: string;
    ciRun?: string;
    /** The release changes, as `berth audit` prints them. */
    changes?: string;
    /** Absent while the run has not finished: it is still running, or it was killed. */
    result?: AuditResult;
    end?: string;
    error?: string;
    /** What the run's recovery removed, joined. */
    removed?: string;
}

/** berth's record in the message of an update it ran. */
export interface UpdateMarker {
    run: string;
    /** `rollout`: the update to the new releases; `restore`: the one that put the previous releases back. */
    phase: "rollout" | "restore";
    command: string;
    identity: ActorIdentity;
    from: Releases;
    to: Releases;
    /** What the recovery at the run's start removed or cleared (an interrupted update's leftovers). */
    recovered?: string[];
}

/** Pure: a run id: when it started (to the second, UTC) and 6 random hex digits, so ids sort by time: `20261202T202913Z-3fa9c1`. */
export function newRunId(now: Date = new Date(), random: string = randomBytes(3).toString("hex")): string {
    return `${now.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "")}-${random}`;
}

const RUN_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]+$/;

/** Pure: when the run of an id started (ISO 8601), or undefined for something that is no run id. */
export function runStartedAt(run: string): string | undefined {
    const match = RUN_ID.exec(run);
    return match ? `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z` : undefined;
}

/** The tag of a run. Within Pulumi's rules for tag names: at most 40 of letters, digits, `-_.:`. */
export function auditTagName(run: string): string {
    return `${AUDIT_TAG_PREFIX}${run}`;
}

// Shortened first when a record does not fit a tag: the least needed first.
const SHORTENED_FIRST: (keyof TagRecord)[] = ["error", "removed", "changes", "ciRun", "claimed", "command", "observed"];

/**
 * Pure: a run's record as a tag value: JSON of at most TAG_VALUE_LIMIT bytes.
 * What does not fit is shortened, ending in "…" (the full text is in the log
 * file and the update messages).
 */
export function encodeTagRecord(record: TagRecord): string {
    const fitted: Record<string, string | undefined> = { ...record };
    for (let attempt = 0; attempt < 20; attempt++) {
        const text = JSON.stringify(fitted);
        const excess = Buffer.byteLength(text) - TAG_VALUE_LIMIT;
        if (excess <= 0) {
            return text;
        }
        const field = SHORTENED_FIRST.find((name) => [...(fitted[name] ?? "")].length > 1);
        if (field === undefined) {
            break;
        }
        // Every character is at least one byte: cutting `excess` of them, and 3 more for the "…", is enough unless escapes cost more.
        const characters = [...fitted[field]!];
        const keep = characters.length - excess - 3;
        fitted[field] = keep > 0 ? `${characters.slice(0, keep).join("")}…` : "…";
    }
    throw new Error(`berth: the audit record of ${record.command} does not fit a stack tag (${TAG_VALUE_LIMIT} bytes)`);
}

/** Pure: a tag's record, or undefined when it is not one berth wrote. */
export function decodeTagRecord(value: string): TagRecord | undefined {
    try {
        const record = JSON.parse(value) as TagRecord;
        return typeof record === "object" && record !== null && typeof record.command === "string" && typeof record.observed === "string" ? record : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Pure: the message of an update berth runs. The first line is for people
 * (`pulumi stack history`, Pulumi Cloud's console): the command, who, and
 * what changes; the second is berth's record, which `berth audit` reads back.
 */
export function updateMessage(marker: UpdateMarker): string {
    const changes = describeChanges(marker.from, marker.to).join("; ") || "no release change";
    const who = marker.identity.claimed
        ? `${marker.identity.claimed} (claimed; observed ${marker.identity.observed})`
        : `${marker.identity.observed} (observed)`;
    const what = marker.phase === "restore" ? `restore after a failed rollout: ${changes}` : changes;
    return `berth ${marker.command} by ${who}: ${what}\n${MESSAGE_MARKER}${JSON.stringify(marker)}`;
}

/** Pure: berth's record in an update message, or undefined for an update berth did not run (or an older berth did). */
export function parseUpdateMessage(message: string | undefined): UpdateMarker | undefined {
    const line = (message ?? "").split("\n").find((candidate) => candidate.startsWith(MESSAGE_MARKER));
    if (!line) {
        return undefined;
    }
    try {
        const marker = JSON.parse(line.slice(MESSAGE_MARKER.length)) as UpdateMarker;
        return typeof marker.run === "string" && typeof marker.command === "string" ? marker : undefined;
    } catch {
        return undefined;
    }
}

/** Pure: the audit tags to remove so that the newest `keep` runs keep theirs. */
export function auditTagsToPrune(tagNames: string[], keep: number = AUDIT_TAGS_KEPT): string[] {
    const audit = tagNames.filter((name) => name.startsWith(AUDIT_TAG_PREFIX)).sort();
    return audit.slice(0, Math.max(0, audit.length - keep));
}

/** What a driver run reports at its end. */
export interface RunEnding {
    result: AuditResult;
    restored?: Releases;
    error?: string;
    updateVersion?: number;
    removed?: string[];
}

/**
 * The audit of one berth run (`deploy`, `rollback`, `recover`): started
 * writes the run's tag and log line before anything changes, each `pulumi
 * up` carries the run in its message, and finish writes the result.
 */
export class AuditRun {
    private ended = false;
    /** What the run's recovery removed, for its result. */
    private recovered: string[] = [];

    private constructor(
        private readonly stack: Stack,
        readonly run: string,
        readonly at: string,
        readonly command: string,
        readonly identity: ActorIdentity,
        readonly from: Releases,
        readonly to: Releases,
    ) {}

    /**
     * Records that a run starts: in the stack's tags (with the state), then in
     * the log file. Call it before the run changes anything: if the tag cannot
     * be written, this throws, and the run must not go on.
     */
    static async start(stack: Stack, run: { command: string; from: Releases; to: Releases }): Promise<AuditRun> {
        const now = new Date();
        const identity = { ...actorIdentity(), ...(await backendUser(stack)) };
        const audit = new AuditRun(stack, newRunId(now), now.toISOString(), run.command, identity, run.from, run.to);
        const name = auditTagName(audit.run);
        const value = encodeTagRecord(audit.tagRecord());
        let stored: string | undefined;
        try {
            await stack.setTag(name, value);
            // A Pulumi CLI from before diy backends kept tags takes them and stores nothing.
            stored = await stack.getTag(name);
        } catch (error) {
            throw new Error(`could not record the start of \`berth ${run.command}\` in the tags of stack ${stack.name}, so berth changed nothing: ${(error as Error).message}`);
        }
        if (stored !== value) {
            throw new Error(`the stack tag ${name} of stack ${stack.name} did not keep berth's record (this Pulumi CLI or backend does not store stack tags?), so berth changed nothing`);
        }
        await recordAudit(berthStateDirectory(stack), { ...audit.entry(), at: audit.at, result: "started" });
        return audit;
    }

    get finished(): boolean {
        return this.ended;
    }

    /** What the recovery at the run's start removed or cleared; it goes into the result. */
    noteRecovery(lines: string[]): void {
        this.recovered.push(...lines);
    }

    /** The message of a `pulumi up` of this run. */
    updateMessage(phase: UpdateMarker["phase"], from: Releases, to: Releases): string {
        return updateMessage({ run: this.run, phase, command: this.command, identity: this.identity, from, to, ...(this.recovered.length > 0 ? { recovered: this.recovered } : {}) });
    }

    /**
     * Records how the run ended: the log file, then the run's tag (and old
     * tags pruned). The up is done by now, so a record that cannot be written
     * is reported through `log`, not thrown: it must not turn a deploy that
     * happened into an error, and the other records still hold the run.
     */
    async finish(ending: RunEnding, log: (line: string) => void): Promise<void> {
        this.ended = true;
        const end = new Date().toISOString();
        const removed = [...this.recovered, ...(ending.removed ?? [])];
        try {
            await recordAudit(berthStateDirectory(this.stack), { ...this.entry(), at: end, ...ending, ...(removed.length > 0 ? { removed } : {}) });
        } catch (error) {
            log(`berth: could not append the result to the audit log file (the stack's tags and update history have it): ${(error as Error).message}`);
        }
        try {
            await this.stack.setTag(auditTagName(this.run), encodeTagRecord({
                ...this.tagRecord(),
                result: ending.result,
                end: end.replace(/\.\d+Z$/, "Z"),
                ...(ending.error ? { error: ending.error } : {}),
                ...(removed.length > 0 ? { removed: removed.join("; ") } : {}),
            }));
            for (const name of auditTagsToPrune(Object.keys(await this.stack.listTags()))) {
                await this.stack.removeTag(name);
            }
        } catch (error) {
            log(`berth: could not record the result in the tags of stack ${this.stack.name} (the update history and ${berthStateDirectory(this.stack)} have it): ${(error as Error).message}`);
        }
    }

    private entry(): Omit<AuditEntry, "at" | "result"> {
        return { actor: this.identity.claimed ?? this.identity.observed, identity: this.identity, run: this.run, stack: this.stack.name, command: this.command, from: this.from, to: this.to };
    }

    private tagRecord(): TagRecord {
        const { claimed, observed, ciRun } = this.identity;
        const changes = describeChanges(this.from, this.to).join("; ");
        return { command: this.command, ...(claimed ? { claimed } : {}), observed, ...(ciRun ? { ciRun } : {}), ...(changes ? { changes } : {}) };
    }
}

/** On Pulumi Cloud, the account its token belongs to: the one part of the actor a server authenticated. */
async function backendUser(stack: Stack): Promise<Pick<ActorIdentity, "backendUser">> {
    if ((await stackBackend(stack)).kind !== "cloud") {
        return {};
    }
    const { user } = await stack.workspace.whoAmI();
    return user ? { backendUser: user } : {};
}

// --- Reading it back -------------------------------------------------------------------------

/** The parts of an update in Pulumi's history (`stack.history()`) the audit reads. */
export interface HistoryUpdate {
    version: number;
    kind: string;
    result: string;
    message?: string;
    startTime: Date | string;
}

/** One update of a run, from Pulumi's history. */
export interface AuditUpdate {
    version: number;
    kind: string;
    /** Pulumi's result: succeeded, failed, in-progress (on Pulumi Cloud, also a killed one until it expires). */
    result: string;
    phase?: UpdateMarker["phase"];
    startTime: string;
}

/** A berth run (or an update made without berth), merged from the log file, the stack's tags and Pulumi's history. */
export interface AuditRecord {
    /** Absent for a line of an older berth and for an update made without berth. */
    run?: string;
    at: string;
    command: string;
    actor: string;
    identity?: ActorIdentity;
    from?: Releases;
    to?: Releases;
    /** What changed, when the releases themselves are not known (only the run's tag is left). */
    changes?: string;
    /**
     * How it ended. Absent: the run started and no result was ever written: it
     * was interrupted (killed), or, the newest run, it may still be running.
     */
    result?: AuditResult | "in progress";
    /** Set when no record of berth's gave the result and it was read from the run's updates in Pulumi's history. */
    resultFromHistory?: boolean;
    restored?: Releases;
    error?: string;
    removed?: string[];
    updates: AuditUpdate[];
    /** For an update made without berth: its message, if any. */
    message?: string;
    /** Where this record was found. */
    sources: ("log" | "tags" | "history")[];
}

/** The stack's whole audit: the log file, the stack's tags and Pulumi's update history, merged, oldest first. */
export async function readStackAudit(stack: Stack): Promise<AuditRecord[]> {
    const [lines, tags, history] = await Promise.all([readAuditLines(berthStateDirectory(stack), stack.name), stack.listTags(), stack.history()]);
    return mergeAudit(lines, tags, history);
}

/**
 * Pure: the audit from everything that holds a part of it. Lines, tags and
 * update messages of one run share its run id; what one lacks, another gives.
 */
export function mergeAudit(lines: AuditEntry[], tags: Record<string, string>, history: HistoryUpdate[]): AuditRecord[] {
    const runs = new Map<string, AuditRecord>();
    const records: AuditRecord[] = [];
    const runRecord = (run: string, at: string): AuditRecord => {
        let record = runs.get(run);
        if (!record) {
            record = { run, at, command: "", actor: "", updates: [], sources: [] };
            runs.set(run, record);
            records.push(record);
        }
        return record;
    };
    const seen = (record: AuditRecord, source: AuditRecord["sources"][number]) => {
        if (!record.sources.includes(source)) {
            record.sources.push(source);
        }
    };

    const legacyByVersion = new Map<number, AuditRecord>();
    /** When each run's result was written, from the log file. */
    const ends = new Map<string, string>();
    for (const line of lines) {
        if (line.run === undefined) {
            const record: AuditRecord = {
                at: line.at,
                command: line.command,
                actor: line.actor,
                ...withoutUndefined({ identity: line.identity, from: line.from, to: line.to, restored: line.restored, error: line.error }),
                ...(line.removed?.length ? { removed: line.removed } : {}),
                result: line.result === "started" ? undefined : line.result,
                updates: [],
                sources: ["log"],
            };
            records.push(record);
            if (line.updateVersion) {
                legacyByVersion.set(line.updateVersion, record);
            }
            continue;
        }
        if (line.result !== "started") {
            ends.set(line.run, line.at);
        }
        const record = runRecord(line.run, line.at);
        seen(record, "log");
        if (line.result === "started") {
            Object.assign(record, { at: line.at, command: line.command, actor: line.actor, from: line.from, to: line.to }, line.identity ? { identity: line.identity } : {});
        } else {
            Object.assign(record, withoutUndefined({ command: record.command || line.command, actor: record.actor || line.actor, from: record.from ?? line.from, to: record.to ?? line.to }));
            Object.assign(record, withoutUndefined({ result: line.result, restored: line.restored, error: line.error, removed: line.removed?.length ? line.removed : undefined }));
            record.identity ??= line.identity;
        }
    }

    // Pulumi lists the newest update first.
    for (const update of [...history].sort((left, right) => time(left.startTime) - time(right.startTime))) {
        const marker = parseUpdateMessage(update.message);
        const startTime = new Date(update.startTime).toISOString();
        const entry: AuditUpdate = { version: update.version, kind: update.kind, result: update.result, ...(marker ? { phase: marker.phase } : {}), startTime };
        if (marker) {
            const record = runRecord(marker.run, runStartedAt(marker.run) ?? startTime);
            seen(record, "history");
            record.updates.push(entry);
            record.command ||= marker.command;
            record.identity ??= marker.identity;
            record.actor ||= marker.identity.claimed ?? marker.identity.observed;
            if (marker.phase === "rollout") {
                record.from ??= marker.from;
                record.to ??= marker.to;
                if (marker.recovered?.length) {
                    record.removed ??= marker.recovered;
                }
            } else {
                record.restored ??= changedApps(marker.to, marker.from);
            }
            continue;
        }
        const legacy = update.version > 0 ? legacyByVersion.get(update.version) : undefined;
        if (legacy) {
            legacy.updates.push(entry);
            seen(legacy, "history");
            continue;
        }
        records.push({
            at: startTime,
            command: `pulumi ${update.kind}`,
            actor: "",
            result: pulumiResult(update.result),
            updates: [entry],
            ...(update.message ? { message: update.message.split("\n")[0] } : {}),
            sources: ["history"],
        });
    }

    for (const [name, value] of Object.entries(tags)) {
        const run = name.startsWith(AUDIT_TAG_PREFIX) ? name.slice(AUDIT_TAG_PREFIX.length) : undefined;
        const at = run === undefined ? undefined : runStartedAt(run);
        const tag = decodeTagRecord(value);
        if (run === undefined || at === undefined || tag === undefined) {
            continue;
        }
        const record = runRecord(run, at);
        seen(record, "tags");
        record.command ||= tag.command;
        record.identity ??= withoutUndefined({ claimed: tag.claimed, observed: tag.observed, ciRun: tag.ciRun });
        record.actor ||= tag.claimed ?? tag.observed;
        if (record.from === undefined && tag.changes) {
            record.changes ??= tag.changes;
        }
        if (record.result === undefined && tag.result) {
            record.result = tag.result;
            if (tag.error) {
                record.error ??= tag.error;
            }
            if (tag.removed) {
                record.removed ??= [tag.removed];
            }
        }
    }

    for (const record of runs.values()) {
        if (record.result === undefined && !record.sources.includes("log") && !record.sources.includes("tags")) {
            const derived = resultFromUpdates(record.updates);
            if (derived) {
                record.result = derived;
                record.resultFromHistory = true;
            }
        }
        if (record.from !== undefined) {
            delete record.changes;
        }
    }
    return foldRecoveryLines(records.sort((left, right) => time(left.at) - time(right.at) || (left.run ?? "").localeCompare(right.run ?? "")), ends);
}

/**
 * The recovery at the start of a run writes its own lines (one per removal,
 * without the run's id): they go into the run they happened in, whose record
 * then names each removal in full rather than in summary.
 */
function foldRecoveryLines(records: AuditRecord[], ends: Map<string, string>): AuditRecord[] {
    const runs = records.filter((record) => record.run !== undefined);
    const detail = new Map<AuditRecord, string[]>();
    const folded = records.filter((record) => {
        if (record.run !== undefined || record.result !== "recovered" || !record.removed) {
            return true;
        }
        const at = time(record.at);
        const owner = runs.find((run, index) => {
            const end = ends.get(run.run!) ?? runs[index + 1]?.at;
            return run.command === record.command && time(run.at) <= at && (end === undefined || at <= time(end));
        });
        if (!owner) {
            return true;
        }
        detail.set(owner, [...(detail.get(owner) ?? []), ...record.removed]);
        return false;
    });
    for (const [run, removed] of detail) {
        run.removed = removed;
    }
    return folded;
}

/** A berth run known only from Pulumi's history (its tag pruned, no log file): how its updates ended says how it ended. */
function resultFromUpdates(updates: AuditUpdate[]): AuditResult | undefined {
    const restore = updates.find((update) => update.phase === "restore");
    if (restore) {
        return restore.result === "succeeded" ? "rolled back" : restore.result === "failed" ? "rollback failed" : undefined;
    }
    const rollout = updates.find((update) => update.phase === "rollout");
    return rollout?.result === "succeeded" ? "succeeded" : rollout?.result === "failed" ? "failed" : undefined;
}

function pulumiResult(result: string): AuditRecord["result"] {
    return result === "succeeded" || result === "failed" ? result : "in progress";
}

/** Of `restoredTo`, the apps whose release differs from `attempted`. */
function changedApps(restoredTo: Releases, attempted: Releases): Releases {
    return Object.fromEntries(Object.entries(restoredTo).filter(([name, release]) => !sameRelease(release, attempted[name])));
}

/** "2026-12-02T20:29:13Z": the log file has milliseconds, a tag and Pulumi's history seconds. */
function toTheSecond(at: string): string {
    const parsed = new Date(at);
    return Number.isNaN(parsed.getTime()) ? at : parsed.toISOString().replace(/\.\d+Z$/, "Z");
}

function time(value: Date | string): number {
    return new Date(value).getTime();
}

function withoutUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

/** Pure: the audit as people read it, one run per line, details indented below. */
export function renderAudit(records: AuditRecord[]): string {
    const newestRun = [...records].reverse().find((record) => record.run !== undefined);
    const lines: string[] = [];
    for (const record of records) {
        const changes = record.from && record.to ? describeChanges(record.from, record.to).join("; ") || "no release change" : record.changes ?? "";
        const result = record.result === undefined
            ? `started, no result (${record === newestRun ? "interrupted, or still running" : "interrupted"})`
            : `${record.result}${record.resultFromHistory ? " (from Pulumi's history)" : ""}`;
        const who = record.identity ? `by ${describeActor(record.identity)}` : record.actor ? `by ${record.actor}` : record.message ? "not run by berth" : "";
        lines.push([toTheSecond(record.at), record.command, result, changes, who].filter(Boolean).join("  "));
        if (record.message) {
            lines.push(`    message: ${record.message}`);
        }
        if (record.restored && Object.keys(record.restored).length > 0) {
            lines.push(`    restored: ${Object.entries(record.restored).map(([name, release]) => `${name} ${release.tag}${release.codeRef ? ` (ref ${release.codeRef})` : ""}`).join("; ")}`);
        }
        if (record.error) {
            lines.push(...record.error.split("\n").slice(0, 6).map((line, index) => `    ${index === 0 ? "error: " : "       "}${line}`));
        }
        for (const removed of record.removed ?? []) {
            lines.push(`    removed: ${removed}`);
        }
        if (record.run && record.updates.length > 0) {
            lines.push(`    pulumi: ${record.updates.map((update) => `${update.phase ?? update.kind}${update.version > 0 ? ` (update ${update.version})` : ""} ${update.result}`).join(", ")}`);
        }
    }
    return lines.length > 0 ? lines.join("\n") : "no deploys recorded";
}
