import type { Stack } from "@pulumi/pulumi/automation";
import { readStackState, resourceName, StackState } from "./stackState";
import type { Releases } from "./releases";
import { readStatus, StatusReport } from "./status";
import { containerReplacementSteps, ContainerRole, rolloutNames } from "../components/rollout/names";

/**
 * One drifted host part and how `berth deploy` converges it: the stack's
 * resources that `pulumi up` replaces (runs again), in the program's own
 * order, so the repair keeps the rollout's discipline: a web host is drained,
 * its container made way for and replaced, health-gated and undrained before
 * the next host; a code link is switched back and uWSGI reloaded; nginx gets
 * the config the stack installed.
 */
export interface Repair {
    /** `sample web@web-1`, `sample code@worker-1`, `nginx@lb-1`. */
    target: string;
    /** The drift that calls for it, as `status` reports it. */
    reasons: string[];
    /** Names of the stack's resources to replace. */
    resources: string[];
}

/** The name of an accessory's container (containerNames.accessory): `accessory_<name>`. */
const ACCESSORY_CONTAINER = /^accessory_([a-z][a-z0-9-]*)$/;

/** The resources that switch one host's code link back and reload what runs that code. */
function codeSteps(app: string, host: string): string[] {
    const names = rolloutNames(app);
    return [names.codeSwitch(host), names.healthy(host), names.restart("worker", host), names.restart("beat", host)];
}

/**
 * Pure: from what `status` found, the repairs a deploy makes. Only resources
 * the stack has are named (a host with no web container has no drain step).
 * A berth-labelled container the stack does not know is reported, never
 * removed: it may be another stack's.
 */
export function planRepairs(report: StatusReport, state: StackState): Repair[] {
    const inState = new Set(state.resources.map((resource) => resourceName(resource.urn)));
    const repairs = new Map<string, Repair>();
    const add = (target: string, reason: string, resources: string[]) => {
        const known = resources.filter((name) => inState.has(name));
        if (known.length === 0) {
            return;
        }
        const repair = repairs.get(target) ?? { target, reasons: [], resources: [] };
        repair.reasons.push(reason);
        repair.resources = [...new Set([...repair.resources, ...known])];
        repairs.set(target, repair);
    };
    // A web host whose last rollout stopped between its drain and its undrain (a failed or
    // killed run) has a drain step that already ran for the new settings: it would not run
    // again, and the host may be serving again (the safety net, or a person, undrained it).
    for (const { app, host } of unfinishedWebSteps(state)) {
        const names = rolloutNames(app);
        add(`${app} web@${host}`, "its last rollout stopped between drain and undrain: drained again before its container is replaced", [names.drain(host), names.healthy(host), names.undrain(host)]);
    }
    for (const container of report.containers) {
        // An accessory's container gone or replaced by hand: started again on its volume, health-gated.
        const accessory = ACCESSORY_CONTAINER.exec(container.name);
        if (accessory && container.app === "") {
            for (const drift of container.drift) {
                add(`${accessory[1]} accessory@${container.host}`, drift, [`${accessory[1]}-container`]);
            }
            continue;
        }
        if (container.app === "" || container.drift.length === 0 || !inState.has(rolloutNames(container.app).container(container.role as ContainerRole, container.host))) {
            continue;
        }
        for (const drift of container.drift) {
            add(`${container.app} ${container.role}@${container.host}`, drift, containerReplacementSteps(container.app, container.role as ContainerRole, container.host));
        }
    }
    for (const code of report.code) {
        for (const drift of code.drift) {
            add(`${code.app} code@${code.host}`, drift, codeSteps(code.app, code.host));
        }
    }
    if (report.nginx) {
        // A drained server whose web container is repaired anyway is undrained by that
        // repair, once its new container is healthy; nginx's whole config would put it
        // back before that.
        const webRepaired = new Set([...repairs.keys()].filter((target) => target.includes(" web@")).map((target) => target.replace(" web@", "@")));
        for (const drift of report.nginx.drift) {
            const server = report.nginx.drained.find((drained) => drift.startsWith(`${drained} `));
            if (server && webRepaired.has(server)) {
                repairs.get(`${server.replace("@", " web@")}`)!.reasons.push(`drained in nginx (undrained once healthy)`);
                continue;
            }
            add(`nginx@${report.nginx.host}`, drift, ["nginx-config"]);
        }
    }
    return [...repairs.values()];
}

/**
 * Pure: the web hosts whose drain step is newer than their undrain step in
 * the state. Every finished rollout (and every rollback) of a host runs its
 * undrain after its drain; only a run that stopped between them leaves the
 * drain newer.
 */
export function unfinishedWebSteps(state: StackState): { app: string; host: string }[] {
    // The live resource of each name: a killed run can leave the replaced one beside it (`delete`).
    const created = new Map(state.resources.filter((resource) => !resource.delete).map((resource) => [resourceName(resource.urn), resource.created]));
    const unfinished: { app: string; host: string }[] = [];
    for (const [name, drainCreated] of created) {
        const match = /^(.+)-drain-(.+)$/.exec(name);
        const undrainCreated = match ? created.get(`${match[1]}-undrain-${match[2]}`) : undefined;
        if (match && drainCreated && undrainCreated && Date.parse(drainCreated) > Date.parse(undrainCreated)) {
            unfinished.push({ app: match[1], host: match[2] });
        }
    }
    return unfinished;
}

/** The URNs to pass to `pulumi up --replace`, each once (a killed run can leave a replaced copy beside a resource). */
export function repairUrns(repairs: Repair[], state: StackState): string[] {
    const names = new Set(repairs.flatMap((repair) => repair.resources));
    return [...new Set(state.resources.filter((resource) => names.has(resourceName(resource.urn))).map((resource) => resource.urn))];
}

/**
 * What `deploy` would repair now: the hosts read as `status` reads them, the
 * repairs as lines and as URNs to replace. `deployed`: the releases in the
 * stack's outputs, when the caller has read them already.
 */
export async function readRepairs(stack: Stack, deployed?: Releases): Promise<{ lines: string[]; urns: string[] }> {
    const state = await readStackState(stack);
    const repairs = planRepairs(await readStatus(stack, { state, deployed }), state);
    return { lines: describeRepairs(repairs), urns: repairUrns(repairs, state) };
}

/** One line per repair, for the deploy's log and the preview. */
export function describeRepairs(repairs: Repair[]): string[] {
    return repairs.map((repair) => `${repair.target}: ${repair.reasons.join("; ")} → replace ${repair.resources.join(", ")}`);
}
