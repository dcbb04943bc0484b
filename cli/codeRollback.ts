// `berth rollback`'s fast path: when only code refs go back, and every host
// keeps the release, the hosts flip their code links and reload directly,
// the way Capistrano flips a symlink, before `pulumi up` records it.
import { Stack } from "@pulumi/pulumi/automation";
import { AppSpec, validateConfig, webPorts } from "../components/config";
import { imageReference } from "../components/naming";
import { hostAndPort } from "../components/render/address";
import { appLayout, webRuntimeDirectory } from "../components/render/layout";
import { appHosts, BackgroundRole, backgroundRolesOn } from "../components/rollout/plan";
import { flipBackgroundHost, flipWebHost, keptReleaseCheck } from "../components/shell/keptReleases";
import { Releases } from "./releases";
import { scriptsInSequence } from "../components/shell/quote";
import { runOnHost } from "./remote";
import { HostAccess, hostAccessByName, readStackState, StackState } from "./stackState";

/** One app's code-only rollback: its hosts, in the order the flip takes them. */
export interface CodeFlip {
    app: AppSpec;
    ref: string;
    /** The app's hosts, web hosts first; flipWaves says which go at once. */
    hosts: HostFlip[];
}

/** One host of a flip: whether the app's web containers run there, and which of its worker and beat containers restart. */
export interface HostFlip {
    host: string;
    web: boolean;
    restart: BackgroundRole[];
}

export type CodeFlipPlan = { flips: CodeFlip[] } | { fullDeploy: string };

/**
 * Pure: the flips that roll `targets` back, or why they take a full
 * deploy: an image tag that changes, an app without a code volume, or a
 * ref the stack never deployed (nothing says a host keeps it).
 */
export function planCodeFlips(deployed: Releases, targets: Releases, apps: AppSpec[]): CodeFlipPlan {
    const flips: CodeFlip[] = [];
    for (const [name, target] of Object.entries(targets)) {
        const app = apps.find((candidate) => candidate.name === name);
        const now = deployed[name];
        if (!app || !now) {
            return { fullDeploy: `${name} is not deployed by this stack yet` };
        }
        if (target.tag !== now.tag) {
            return { fullDeploy: `${name}'s image changes (${now.tag} → ${target.tag})` };
        }
        if (!app.code || target.codeRef === undefined) {
            return { fullDeploy: `${name} has no code volume (berth:apps[].code)` };
        }
        if (target.codeRef === now.codeRef) {
            continue;
        }
        flips.push({
            app,
            ref: target.codeRef,
            hosts: appHosts(app).map((host) => ({ host, web: app.hosts.web.includes(host), restart: backgroundRolesOn(app, host) })),
        });
    }
    return flips.length > 0 ? { flips } : { fullDeploy: "no code ref changes" };
}

/** What the stack knows of its hosts: how to reach each one, and its private address. */
interface Fleet {
    access: Map<string, HostAccess>;
    privateAddress: Map<string, string>;
}

/**
 * Reads what the flip needs (the validated config, the hosts) and plans it;
 * then checks every host keeps the release. Reads only: a `fullDeploy`
 * answer changed nothing.
 */
export async function prepareCodeFlips(stack: Stack, config: Record<string, unknown>, deployed: Releases, targets: Releases): Promise<{ plan: CodeFlipPlan; fleet?: Fleet }> {
    const spec = validateConfig(config);
    const plan = planCodeFlips(deployed, targets, spec.apps);
    if ("fullDeploy" in plan) {
        return { plan };
    }
    const fleet = fleetOf(await readStackState(stack));
    for (const flip of plan.flips) {
        const hosts = flip.hosts.map(({ host }) => host);
        const answers = await Promise.all(hosts.map(async (host) => {
            const access = fleet.access.get(host);
            return access ? (await runOnHost(access, keptReleaseCheck(appLayout(flip.app.name), flip.ref))).trim() : "unreachable";
        }));
        const missing = hosts.filter((_, index) => !answers[index].startsWith("kept "));
        if (missing.length > 0) {
            return { plan: { fullDeploy: `${flip.app.name}'s ${flip.ref} is not kept on ${missing.join(", ")}` } };
        }
    }
    return { plan, fleet };
}

/**
 * Pure: the order a flip takes an app's hosts in, as waves run one after
 * another, the hosts of a wave at once. With `reload: touch` a web host
 * holds its requests while uWSGI reloads, so web hosts go one at a time, as
 * the code path takes them, and the hosts of workers and beat (they serve no
 * requests) beside the last one. With `reload: chain` a host keeps serving
 * through its reload (its workers are replaced one by one): every host at once.
 */
export function flipWaves(flip: CodeFlip): HostFlip[][] {
    if (flip.app.reload === "chain") {
        return [flip.hosts];
    }
    const webHosts = flip.hosts.filter((host) => host.web);
    const others = flip.hosts.filter((host) => !host.web);
    if (webHosts.length === 0) {
        return [others];
    }
    return webHosts.map((host, index) => (index === webHosts.length - 1 ? [host, ...others] : [host]));
}

/**
 * The flip itself, app by app, in its waves (flipWaves): on a web host the
 * link, the reload, the reload's ready file and one health request per web
 * container; on a worker or beat host the link, then each of its containers
 * restarted with its warm shutdown. Throws what failed on which host; the
 * `pulumi up` that follows switches again wherever the flip did not finish.
 */
export async function flipCode(flips: CodeFlip[], fleet: Fleet, log: (line: string) => void): Promise<{ webSeconds: number; seconds: number }> {
    const started = Date.now();
    let webDone = started;
    for (const flip of flips) {
        const { app, ref } = flip;
        const layout = appLayout(app.name);
        const onHost = (host: string, script: string) => {
            const access = fleet.access.get(host);
            if (!access) {
                throw new Error(`the stack has no connection to ${host}`);
            }
            // Every wait the script may make: the reload, a health check per web port, a restart per worker and beat.
            return runOnHost(access, script, (3 * app.healthTimeoutSeconds + 3 * app.stopGraceSeconds + 60) * 1000);
        };
        const flipHost = async ({ host, web, restart }: HostFlip) => {
            const address = fleet.privateAddress.get(host);
            if (web && !address) {
                throw new Error(`the stack's outputs give no private address for ${host}`);
            }
            await onHost(host, scriptsInSequence(
                ...(web
                    ? [flipWebHost({
                          layout, appName: app.name, ref, reload: app.reload, timeoutSeconds: app.healthTimeoutSeconds, domain: app.domain,
                          runtimes: webPorts(app).map((port) => webRuntimeDirectory(layout, port)),
                          healthUrls: webPorts(app).map((port) => ({ port, url: `http://${hostAndPort(address!, port)}${app.healthPath}` })),
                      })]
                    : []),
                // After a web host's reload its link has moved already: this only restarts.
                ...(restart.length > 0 || !web ? [flipBackgroundHost(layout, app.name, imageReference(app), ref, restart, app.stopGraceSeconds)] : []),
            ));
            if (web) {
                webDone = Math.max(webDone, Date.now());
            }
            log(`${app.name} on ${host}: code on ${ref}${web ? ", its web containers reloaded and healthy" : ""}${restart.length > 0 ? `, ${restart.join(" and ")} restarted` : ""}`);
        };
        for (const wave of flipWaves(flip)) {
            // Every host's script has ended, failed or not, before the next wave (or the pulumi up that follows) touches them.
            const ended = await Promise.allSettled(wave.map(flipHost));
            const failures = ended.flatMap((outcome) => (outcome.status === "rejected" ? [(outcome.reason as Error).message] : []));
            if (failures.length > 0) {
                throw new Error(failures.join("\n"));
            }
        }
    }
    return { webSeconds: (webDone - started) / 1000, seconds: (Date.now() - started) / 1000 };
}

/** Pure: how to reach each host (its docker provider) and its private address (the stack's `hosts` output), from the exported state. */
export function fleetOf(state: StackState): Fleet {
    const access = hostAccessByName(state);
    const root = state.resources.find((resource) => resource.type === "pulumi:pulumi:Stack");
    const byRole = (root?.outputs?.hosts ?? {}) as Record<string, { name?: string; privateAddress?: string }[]>;
    const privateAddress = new Map<string, string>();
    for (const host of Object.values(byRole).flat()) {
        if (host?.name && host.privateAddress) {
            privateAddress.set(host.name, host.privateAddress);
        }
    }
    return { access, privateAddress };
}
