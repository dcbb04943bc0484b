// `berth logs`: the containers' logs from every host of the stack, merged by
// time, each line prefixed with its host and role; `--follow` streams them
// and picks up the containers a deploy starts meanwhile.
import { spawn } from "node:child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { validateConfig } from "../components/config";
import { BerthSpec } from "../components/config/types";
import { containerNames } from "../components/naming";
import { words } from "../components/shell/quote";
import { berthConfig } from "./releases";
import { runOnHost } from "./remote";
import { HostAccess, hostAccessByName, readStackState } from "./stackState";

export const LOG_ROLES = ["web", "worker", "beat", "nginx"] as const;
export type LogRole = (typeof LOG_ROLES)[number];

/** Which containers to read: an app's role on a host, or nginx on the load balancer. */
export interface LogSource {
    host: string;
    /** The app, or "" for nginx. */
    app: string;
    role: LogRole;
}

export interface LogFilter {
    app?: string;
    role?: string;
    host?: string;
}

/** Pure: the sources a `berth logs` reads, or an error naming what is wrong and what is allowed. */
export function planLogSources(spec: BerthSpec, filter: LogFilter): LogSource[] {
    if (filter.role !== undefined && !(LOG_ROLES as readonly string[]).includes(filter.role)) {
        throw new Error(`--role must be one of ${LOG_ROLES.join(", ")} (got ${JSON.stringify(filter.role)})`);
    }
    const apps = filter.app === undefined ? spec.apps : spec.apps.filter((app) => app.name === filter.app);
    if (apps.length === 0) {
        throw new Error(`no app ${JSON.stringify(filter.app)} in berth:apps (known: ${spec.apps.map((app) => app.name).join(", ")})`);
    }
    const sources: LogSource[] = [];
    for (const app of apps) {
        for (const role of ["web", "worker", "beat"] as const) {
            for (const host of app.hosts[role]) {
                sources.push({ host, app: app.name, role });
            }
        }
    }
    sources.push({ host: spec.loadBalancer.host, app: "", role: "nginx" });
    const chosen = sources.filter((source) => (filter.role === undefined || source.role === filter.role) && (filter.host === undefined || source.host === filter.host));
    if (chosen.length === 0) {
        const what = [filter.app && `app ${filter.app}`, filter.role && `role ${filter.role}`].filter(Boolean).join(", ") || "anything";
        const hosts = [...new Set(sources.filter((source) => filter.role === undefined || source.role === filter.role).map((source) => source.host))];
        throw new Error(filter.host !== undefined
            ? `host ${filter.host} runs no ${what} (the hosts that do: ${hosts.join(", ") || "none"})`
            : `${filter.app ? `app ${filter.app}` : "no app"} has no ${filter.role} containers (its roles: ${[...new Set(sources.filter((source) => source.app === filter.app).map((source) => source.role))].join(", ")})`);
    }
    return chosen;
}

/** One line as `docker logs --timestamps` writes it: an RFC 3339 time with nanoseconds, a space, the text. */
export interface LogLine {
    time: string;
    text: string;
    source: LogSource;
}

/** Pure: docker's timestamped output of one container, as lines (a line without a time keeps the one before it). */
export function parseLogOutput(output: string, source: LogSource): LogLine[] {
    const lines: LogLine[] = [];
    let last = "";
    for (const raw of output.split("\n")) {
        if (raw === "") {
            continue;
        }
        const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ?(.*)$/.exec(raw);
        last = match ? match[1] : last;
        lines.push({ time: last, text: match ? match[2] : raw, source });
    }
    return lines;
}

/** Pure: a comparable key for docker's times (fractions of different lengths sort correctly). */
function timeKey(time: string): string {
    const [seconds, fraction = ""] = time.replace(/Z$/, "").split(".");
    return `${seconds}.${fraction.padEnd(9, "0")}`;
}

/** Pure: every source's lines in one stream by time; a stable sort keeps each container's own order. */
export function mergeByTime(streams: LogLine[][]): LogLine[] {
    return streams.flat().map((line, index) => ({ line, index, key: timeKey(line.time) }))
        .sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : left.index - right.index))
        .map(({ line }) => line);
}

/** Pure: a line as berth prints it: `time host role[/app] | text`. */
export function formatLogLine(line: LogLine): string {
    const who = line.source.app ? `${line.source.app}/${line.source.role}` : line.source.role;
    return `${line.time} ${line.source.host} ${who} | ${line.text}`;
}

/** `10m`, `2h`, `30s`, `1d`, or an RFC 3339 time, as docker's --since takes it. */
export function checkSince(since: string): string {
    if (/^\d{1,6}[smhd]$/.test(since)) {
        return since.endsWith("d") ? `${Number(since.slice(0, -1)) * 24}h` : since;
    }
    if (!Number.isNaN(Date.parse(since)) && /^\d{4}-\d\d-\d\dT/.test(since)) {
        return since;
    }
    throw new Error(`--since must be a duration like 10m, 2h, 1d, or a time like 2026-12-07T08:00:00Z (got ${JSON.stringify(since)})`);
}

/** The command that lists a source's containers on its host, one name per line (running ones only, or all). */
function listSourceContainers(source: LogSource, which: "running" | "all" = "all"): string {
    const filters = source.role === "nginx"
        ? ["--filter", `name=^${containerNames.nginx}$`]
        : ["--filter", `label=berth.app=${source.app}`, "--filter", `label=berth.role=${source.role}`];
    return words("docker", "ps", ...(which === "all" ? ["--all"] : []), ...filters, "--format", "{{.Names}}");
}

interface LogsContext {
    spec: BerthSpec;
    access: Map<string, HostAccess>;
    sources: LogSource[];
}

async function logsContext(stack: Stack, filter: LogFilter): Promise<LogsContext> {
    const [config, state] = await Promise.all([berthConfig(stack), readStackState(stack)]);
    const spec = validateConfig(config);
    const sources = planLogSources(spec, filter);
    const access = hostAccessByName(state);
    for (const host of new Set(sources.map((source) => source.host))) {
        if (!access.has(host)) {
            throw new Error(`host ${host} is not deployed in this stack yet: run berth deploy first`);
        }
    }
    return { spec, access, sources };
}

export interface LogsOptions extends LogFilter {
    since?: string;
    grep?: string;
}

/** `berth logs` without --follow: every matching container's lines since `since` (default 10m), merged by time. */
export async function readLogs(stack: Stack, options: LogsOptions): Promise<string[]> {
    const since = checkSince(options.since ?? "10m");
    const pattern = options.grep === undefined ? undefined : new RegExp(options.grep);
    const { access, sources } = await logsContext(stack, options);
    const streams = await Promise.all(sources.map(async (source) => {
        const host = access.get(source.host)!;
        const names = (await runOnHost(host, listSourceContainers(source))).split("\n").filter(Boolean);
        const outputs = await Promise.all(names.map((name) => runOnHost(host, `${words("docker", "logs", "--timestamps", "--since", since, name)} 2>&1`)));
        return outputs.flatMap((output) => parseLogOutput(output, source));
    }));
    return mergeByTime(streams).filter((line) => !pattern || pattern.test(line.text)).map(formatLogLine);
}

/**
 * `berth logs --follow`: streams every matching container, and every few
 * seconds looks for containers that started since (a deploy's new web
 * containers, a restarted worker) and follows them too. Resolves when
 * `stop` resolves (Ctrl-C in the CLI).
 */
export async function followLogs(stack: Stack, options: LogsOptions, print: (line: string) => void, stop: Promise<void>): Promise<void> {
    const pattern = options.grep === undefined ? undefined : new RegExp(options.grep);
    const since = checkSince(options.since ?? "1s");
    const { access, sources } = await logsContext(stack, options);
    const followed = new Map<string, ReturnType<typeof spawn>>(); // "host container" -> its ssh
    let stopped = false;
    const follow = (source: LogSource, name: string, from: string) => {
        const host = access.get(source.host)!;
        const child = spawn("ssh", [...host.sshArguments, `${words("docker", "logs", "--follow", "--timestamps", "--since", from, name)} 2>&1`], { stdio: ["ignore", "pipe", "ignore"] });
        let pending = "";
        child.stdout.on("data", (chunk: Buffer) => {
            pending += chunk.toString("utf8");
            const lines = pending.split("\n");
            pending = lines.pop() ?? "";
            for (const line of parseLogOutput(lines.join("\n"), source)) {
                if (!pattern || pattern.test(line.text)) {
                    print(formatLogLine(line));
                }
            }
        });
        followed.set(`${source.host} ${name}`, child);
    };
    const discover = async (first: boolean) => {
        await Promise.all(sources.map(async (source) => {
            const names = (await runOnHost(access.get(source.host)!, listSourceContainers(source, "running")).catch(() => "")).split("\n").filter(Boolean);
            for (const name of names) {
                const key = `${source.host} ${name}`;
                const running = followed.get(key);
                if (!stopped && (!running || running.exitCode !== null)) {
                    // A container seen later (or one whose stream ended) is followed from its start, or from where its old stream stopped.
                    follow(source, name, first ? since : running ? "5s" : "0");
                }
            }
        }));
    };
    await discover(true);
    const timer = setInterval(() => void discover(false), 2000);
    await stop;
    stopped = true;
    clearInterval(timer);
    for (const child of followed.values()) {
        child.kill();
    }
}
