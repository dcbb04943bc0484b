/**
 * Pure: a rollout as bars on a timeline, per host: from the engine's own
 * step events for a deploy (cli/progress.ts), from the plan for a preview
 * (components/rollout/plan.ts). cli/timelineRender.ts draws it.
 */
import { AppSpec } from "../components/config";
import { rolloutNames } from "../components/rollout/names";
import { appHosts, backgroundRolesOn, planRollout, releaseHost, RolloutStep, runsOnPath } from "../components/rollout/plan";
import { StepReport } from "./progress";

/** What a bar stands for, as people name a rollout's steps; each has its colour. */
export const PHASES = ["pull", "files", "release", "drain", "swap", "health", "undrain", "code", "workers", "beat", "prune", "other"] as const;
export type Phase = (typeof PHASES)[number];

export interface TimelineBar {
    /** The lane: a host name, or "stack" for what runs on no host of an app. */
    host: string;
    phase: Phase;
    /** "sample swap", "sample pull": what the bar's text says. */
    label: string;
    /** The engine's resource names behind the bar (one for a deploy's step). */
    resource: string;
    startMs: number;
    endMs: number;
    failed: boolean;
}

export interface Timeline {
    title: string;
    /** A deploy's bars are measured (ms); a plan's are in order only, one unit per step. */
    measured: boolean;
    /** Lanes, in the order they are drawn. */
    hosts: string[];
    bars: TimelineBar[];
}

/** The lane of steps that belong to no app's host (the load balancer's config, accessories, outputs). */
export const STACK_LANE = "stack";

interface StepMeaning {
    app: string;
    host: string;
    phase: Phase;
    /** What the step does, in a few words: "start new", "stop old". */
    what: string;
}

/**
 * Every rollout step name of the apps, with the host it runs on and its
 * phase: the names the component creates (components/rollout/names.ts).
 */
export function stepMeanings(apps: AppSpec[]): Map<string, StepMeaning> {
    const meanings = new Map<string, StepMeaning>();
    for (const app of apps) {
        const names = rolloutNames(app.name);
        const add = (name: string, host: string, phase: Phase, what: string = phase) => meanings.set(name, { app: app.name, host, phase, what });
        add(names.release, releaseHost(app), "release", "release tasks");
        for (const host of appHosts(app)) {
            add(names.hostFile("image", host), host, "pull");
            for (const part of ["volume", "env-file", "checkout", "uwsgi-ini"] as const) {
                add(names.hostFile(part, host), host, "files", part.replace("-", " "));
            }
            add(names.codeSwitch(host), host, "code", "code switch, reload");
            add(names.prune(host), host, "prune");
            add(names.container("worker", host), host, "workers", "worker start");
            add(names.stop("worker", "retire", host), host, "workers", "worker stop old");
            add(names.restart("worker", host), host, "workers", "worker restart");
            add(names.container("beat", host), host, "beat", "beat start");
            add(names.beatAdopt(host), host, "beat", "beat stop old");
            add(names.restart("beat", host), host, "beat", "beat restart");
        }
        for (const host of app.hosts.web) {
            add(names.staticFiles(host), host, "release", "static files");
            add(names.webPort(host), host, "swap", "port");
            add(names.drain(host), host, "drain");
            add(names.stop("web", "stop", host), host, "swap", "stop old");
            add(names.stop("web", "clear", host), host, "swap", "clear port");
            add(names.container("web", host), host, "swap", "start new");
            add(names.stop("web", "retire", host), host, "swap", "stop old");
            add(names.healthy(host), host, "health");
            add(names.undrain(host), host, "undrain");
        }
    }
    return meanings;
}

/**
 * A deploy's steps as bars. A step berth's rollout does not name goes to the
 * lane of the host its name ends with, else to the stack's lane.
 */
export function deployTimeline(title: string, apps: AppSpec[], hosts: string[], steps: StepReport[]): Timeline {
    const meanings = stepMeanings(apps);
    const bars = steps.map((step): TimelineBar => {
        const meaning = meanings.get(step.name);
        const host = meaning?.host ?? hosts.find((name) => step.name.endsWith(`-${name}`)) ?? STACK_LANE;
        const phase = meaning?.phase ?? "other";
        const removal = step.op === "delete-replaced" || step.op === "delete";
        return {
            host,
            phase,
            label: meaning ? `${meaning.app} ${removal ? "remove old" : meaning.what}` : `${step.name}${removal ? " (remove)" : ""}`,
            resource: step.name,
            startMs: step.startMs,
            endMs: Math.max(step.endMs, step.startMs),
            failed: step.failed,
        };
    });
    return { title, measured: true, hosts: lanes(hosts, bars), bars };
}

/**
 * What a preview says a deploy will do, as bars in order: one unit per step,
 * every app from the start (the engine runs apps side by side). Only the
 * apps that change, on the path each takes.
 */
export function planTimeline(title: string, plans: { app: AppSpec; path: "image" | "code" }[], hosts: string[]): Timeline {
    const bars: TimelineBar[] = [];
    for (const { app, path } of plans) {
        let slot = 0;
        const bar = (host: string, phase: Phase, start: number, what: string = phase) =>
            bars.push({ host, phase, label: `${app.name} ${what}`, resource: app.name, startMs: start * UNIT_MS, endMs: (start + 1) * UNIT_MS, failed: false });
        const steps = planRollout(app).filter((step) => runsOnPath(step, path));
        steps.forEach((step, index) => {
            // Static files run alongside the release tasks: the same slot.
            const parallelWithPrevious = step.kind === "static" && steps[index - 1]?.kind === "release";
            const start = parallelWithPrevious ? slot - 1 : slot;
            slot = start + plannedBars(step, app, path, start, bar);
        });
    }
    return { title, measured: false, hosts: lanes(hosts, bars), bars };
}

/** A plan's unit: one step. */
export const UNIT_MS = 1000;

/** Adds one plan step's bars from `start`; returns how many units it takes. */
function plannedBars(step: RolloutStep, app: AppSpec, path: "image" | "code", start: number, bar: (host: string, phase: Phase, start: number, what?: string) => void): number {
    switch (step.kind) {
        case "pull":
        case "prune":
            step.hosts.forEach((host) => bar(host, step.kind, start));
            return 1;
        case "checkout":
            step.hosts.forEach((host) => bar(host, "files", start, "checkout"));
            return 1;
        case "release":
        case "static":
            [step.kind === "release" ? step.host : step.hosts].flat().forEach((host) => bar(host, "release", start, step.tasks.join(", ")));
            return 1;
        case "web": {
            const phases: [Phase, string][] = path === "code"
                ? [["code", "code switch, reload"], ["health", "health"]]
                : [...(app.swap === "drain-first" ? [["drain", "drain"] as [Phase, string]] : []), ["swap", "start new"], ["health", "health"], ["undrain", "undrain"]];
            phases.forEach(([phase, what], offset) => bar(step.host, phase, start + offset, what));
            return phases.length;
        }
        case "restart":
            // Beside the last web host's reload: it takes no slot of its own.
            step.hosts.forEach(({ host }) => backgroundRolesOn(app, host).forEach((role) => bar(host, role === "worker" ? "workers" : "beat", start, `${role} restart`)));
            return 0;
        case "worker":
            step.hosts.forEach((host) => bar(host, "workers", start, "worker replace"));
            return 1;
        case "beat":
            bar(step.host, "beat", start, "beat replace");
            return 1;
    }
}

/** The hosts in their given order, then any other lane a bar is in, the stack's lane last. */
function lanes(hosts: string[], bars: TimelineBar[]): string[] {
    const used = new Set(bars.map((bar) => bar.host));
    const extra = [...used].filter((host) => !hosts.includes(host) && host !== STACK_LANE);
    return [...hosts.filter((host) => used.has(host)), ...extra, ...(used.has(STACK_LANE) ? [STACK_LANE] : [])];
}
