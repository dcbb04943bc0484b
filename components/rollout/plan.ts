import { AppSpec } from "../config/types";
import { imageReference } from "../naming";
import { TASK_INPUTS } from "../shell/releaseTasks";

/**
 * The ordered steps of one app's deploy, as berth wires them into the
 * Pulumi graph. The component follows this plan, and `berth preview` prints
 * it, so what users read is what the engine enforces.
 */
export type RolloutStep =
    | { kind: "pull"; hosts: string[] }
    | { kind: "checkout"; hosts: string[] }
    | { kind: "release"; host: string; tasks: string[] }
    | { kind: "static"; hosts: string[]; tasks: string[] }
    | { kind: "web"; host: string }
    | { kind: "restart"; hosts: RestartOnHost[]; beside: string }
    | { kind: "worker"; hosts: string[] }
    | { kind: "beat"; host: string }
    | { kind: "prune"; hosts: string[] };

/** The code path's restart on one host: the app's worker and beat containers there. */
export interface RestartOnHost {
    host: string;
    roles: BackgroundRole[];
}

export type BackgroundRole = "worker" | "beat";

/** The app's worker and beat roles on a host, in that order (none on a host that has neither). */
export function backgroundRolesOn(app: AppSpec, host: string): BackgroundRole[] {
    return [...(app.hosts.worker.includes(host) ? ["worker" as const] : []), ...(app.hosts.beat.includes(host) ? ["beat" as const] : [])];
}

/**
 * Release tasks whose output is read where it lands: they run on every web
 * host, where uWSGI serves the files to nginx and the app reads them too
 * (ManifestStaticFilesStorage's staticfiles.json, which `{% static %}` needs
 * on every page; WhiteNoise serves from there). Never on the load balancer:
 * collectstatic imports the app's settings, so it would need every secret
 * on the internet-facing host.
 */
export const STATIC_TASKS = ["collectstatic"];

/**
 * Every host the app needs its image, settings and code on, in a stable
 * order: web, worker, beat. The load balancer is one of them only when it
 * also runs one of those roles.
 */
export function appHosts(app: AppSpec): string[] {
    return unique([...app.hosts.web, ...app.hosts.worker, ...app.hosts.beat]);
}

/** The host that runs the release tasks: the first web host. */
export function releaseHost(app: AppSpec): string {
    return app.hosts.web[0];
}

/** Release tasks that run on the release host (migrate, compress, ...). */
export function hostTasks(app: AppSpec): string[] {
    return app.release.filter((task) => !STATIC_TASKS.includes(task));
}

/** Release tasks that run on every web host, where their output is read. */
export function staticTasks(app: AppSpec): string[] {
    return app.release.filter((task) => STATIC_TASKS.includes(task));
}

/** The hosts the static tasks run on, in parallel: the web hosts. */
export function staticHosts(app: AppSpec): string[] {
    return staticTasks(app).length === 0 ? [] : [...app.hosts.web];
}

/**
 * Pulls everywhere first (the slowest part, done in parallel), then the code
 * checkout on every host, release tasks once, web hosts one by one (the code
 * path's worker and beat restarts beside the last), workers, beat, and once
 * all of that succeeded, the prune of old releases.
 */
export function planRollout(app: AppSpec): RolloutStep[] {
    const hosts = appHosts(app);
    const steps: RolloutStep[] = [{ kind: "pull", hosts }];
    if (app.code) {
        steps.push({ kind: "checkout", hosts });
    }
    if (hostTasks(app).length > 0) {
        steps.push({ kind: "release", host: releaseHost(app), tasks: hostTasks(app) });
    }
    if (staticTasks(app).length > 0) {
        steps.push({ kind: "static", hosts: staticHosts(app), tasks: staticTasks(app) });
    }
    const restarts = codeRestarts(app);
    app.hosts.web.forEach((host, index) => {
        if (index === app.hosts.web.length - 1 && restarts.length > 0) {
            // They serve no requests: the code path restarts them while the last web host reloads.
            steps.push({ kind: "restart", hosts: restarts, beside: host });
        }
        steps.push({ kind: "web", host });
    });
    if (app.hosts.worker.length > 0) {
        steps.push({ kind: "worker", hosts: app.hosts.worker });
    }
    for (const host of app.hosts.beat) {
        steps.push({ kind: "beat", host });
    }
    steps.push({ kind: "prune", hosts });
    return steps;
}

/**
 * The code path's worker and beat restarts, per host: an app whose code
 * lives in the image has none (its image changes replace the containers).
 */
function codeRestarts(app: AppSpec): RestartOnHost[] {
    if (!app.code) {
        return [];
    }
    return unique([...app.hosts.worker, ...app.hosts.beat]).map((host) => ({ host, roles: backgroundRolesOn(app, host) }));
}

/**
 * The steps each path runs, as people read them: an image change replaces
 * containers (its restart steps run only with a code change too, and leave
 * the containers about to be replaced alone), a code change restarts
 * workers and beat (their containers stay).
 */
export function runsOnPath(step: RolloutStep, path: "image" | "code"): boolean {
    return path === "image" ? step.kind !== "restart" : step.kind !== "pull" && step.kind !== "worker" && step.kind !== "beat";
}

/** One line per step, numbered: the plan as people read it in previews. */
export function describeRollout(app: AppSpec, path: "image" | "code"): string[] {
    return planRollout(app)
        .filter((step) => runsOnPath(step, path))
        .map((step, index) => `${index + 1}. ${describeStep(step, app, path)}`);
}

function describeStep(step: RolloutStep, app: AppSpec, path: "image" | "code"): string {
    const image = imageReference(app);
    switch (step.kind) {
        case "pull":
            return `pull ${image} on ${step.hosts.join(", ")} (in parallel)`;
        case "checkout":
            return `check out ${app.code!.ref} into the host volume on ${step.hosts.join(", ")}`;
        case "release":
            return `run ${step.tasks.join(", ")} once on ${step.host}${parenthesized(whenChanged(app, step.tasks, path))}`;
        case "static":
            return `run ${step.tasks.join(", ")} on ${step.hosts.join(", ")}, where uWSGI serves the static files to nginx and the app reads them (${["in parallel, alongside the release tasks", ...whenChanged(app, step.tasks, path)].join("; ")})`;
        case "web":
            if (path === "code") {
                return `web on ${step.host}: switch the code to ${app.code!.ref}, touch the uWSGI ini, wait until healthy`;
            }
            return app.swap === "drain-first"
                ? `web on ${step.host}: drain from nginx, stop the old container, start ${app.image.tag}, wait until healthy, undrain`
                : `web on ${step.host}: start ${app.image.tag} beside the old container on the other port, wait until healthy, point nginx at it, stop the old one (capacity kept)`;
        case "restart":
            return step.hosts.map(({ host, roles }) => `restart celery ${roles.join(" and ")} on ${host}`).join(", ") +
                ` (warm shutdown; alongside ${step.beside}'s reload: they serve no requests)`;
        case "worker":
            return `replace celery workers on ${step.hosts.join(", ")} (the new beside the old, then the old one's warm shutdown)`;
        case "beat":
            return `replace celery beat on ${step.host} (stop first: never two beats)`;
        case "prune":
            return `keep the last ${app.keepReleases} ${app.code ? "code releases and image tags" : "image tags"} on ${step.hosts.join(", ")}, prune older ones (never the deployed or the previous one)`;
    }
}

/** On the code path with `releaseWhen: changed`: which tasks run only if their inputs changed, and what those are. */
function whenChanged(app: AppSpec, tasks: string[], path: "image" | "code"): string[] {
    const conditional = tasks.filter((task) => TASK_INPUTS[task.split(" ")[0]]);
    if (path !== "code" || app.releaseWhen !== "changed" || conditional.length === 0) {
        return [];
    }
    return [...conditional.map((task) => `${task} only if ${TASK_INPUTS[task.split(" ")[0]].changed} changed since it last ran there`), "releaseWhen: always runs it every time"];
}

function parenthesized(parts: string[]): string {
    return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

function unique(names: string[]): string[] {
    return [...new Set(names)];
}
