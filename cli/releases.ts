import { Stack } from "@pulumi/pulumi/automation";

/** One app's version: the image tag and, for apps with a code volume, the git ref. */
export interface Release {
    tag: string;
    codeRef?: string;
}

export type Releases = Record<string, Release>;

/** What a stack's outputs say was deployed, and what `rollback` would go back to. */
export interface DeployedState {
    deployed: Releases;
    previous: Record<string, Release | undefined>;
}

interface AppConfigEntry {
    name?: unknown;
    image?: { tag?: unknown };
    code?: { ref?: unknown };
}

/** The releases the stack's config asks for (`berth:apps[i].image.tag`, `.code.ref`). */
export async function desiredReleases(stack: Stack): Promise<Releases> {
    return releasesInConfig(await berthConfig(stack));
}

/** Pure: the releases named in already-read `berth:*` config. */
export function releasesInConfig(config: Record<string, unknown>): Releases {
    const result: Releases = {};
    for (const entry of appEntries(config)) {
        if (typeof entry.name === "string" && typeof entry.image?.tag === "string") {
            result[entry.name] = typeof entry.code?.ref === "string" ? { tag: entry.image.tag, codeRef: entry.code.ref } : { tag: entry.image.tag };
        }
    }
    return result;
}

/** What the last successful `pulumi up` deployed, from the stack's outputs. */
export async function deployedState(stack: Stack): Promise<DeployedState> {
    const outputs = await stack.outputs();
    const apps = (outputs.apps?.value ?? {}) as Record<string, { tag?: string; codeRef?: string }>;
    const previous = (outputs.previousReleases?.value ?? {}) as Record<string, Release | undefined>;
    const deployed: Releases = {};
    for (const [name, app] of Object.entries(apps)) {
        if (app?.tag) {
            deployed[name] = app.codeRef ? { tag: app.tag, codeRef: app.codeRef } : { tag: app.tag };
        }
    }
    return { deployed, previous };
}

/** Writes releases into the stack's config, app by app, leaving every other key alone. */
export async function setReleases(stack: Stack, releases: Releases): Promise<void> {
    const apps = appEntries(await berthConfig(stack));
    for (const [name, release] of Object.entries(releases)) {
        const index = apps.findIndex((entry) => entry.name === name);
        if (index < 0) {
            throw new Error(`berth:apps has no app named "${name}"`);
        }
        await stack.setConfig(`berth:apps[${index}].image.tag`, { value: release.tag }, true);
        if (release.codeRef !== undefined) {
            await stack.setConfig(`berth:apps[${index}].code.ref`, { value: release.codeRef }, true);
        }
    }
}

function appEntries(config: Record<string, unknown>): AppConfigEntry[] {
    return Array.isArray(config.apps) ? (config.apps as AppConfigEntry[]) : [];
}

/** Every `berth:*` key of the stack's config (without the prefix), parsed the way the program reads it. */
export async function berthConfig(stack: Stack): Promise<Record<string, unknown>> {
    const raw: Record<string, unknown> = {};
    for (const [key, { value }] of Object.entries(await stack.getAllConfig())) {
        if (key.startsWith("berth:")) {
            raw[key.slice("berth:".length)] = parseConfigValue(value);
        }
    }
    return raw;
}

function parseConfigValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/**
 * Pure: where `rollback` goes for each app. If the config asks for something
 * other than what is deployed (the last deploy failed part-way), back to what
 * is deployed; otherwise to the release before it. `to` names a tag instead.
 */
export function rollbackTargets(desired: Releases, state: DeployedState, to?: string): Releases {
    const targets: Releases = {};
    for (const [name, wanted] of Object.entries(desired)) {
        if (to !== undefined) {
            targets[name] = { tag: to, ...(wanted.codeRef !== undefined ? { codeRef: releaseWithTag(state, name, to)?.codeRef ?? wanted.codeRef } : {}) };
            continue;
        }
        const deployed = state.deployed[name];
        const target = deployed && !sameRelease(deployed, wanted) ? deployed : state.previous[name];
        if (target) {
            targets[name] = target;
        }
    }
    return targets;
}

function releaseWithTag(state: DeployedState, app: string, tag: string): Release | undefined {
    return [state.deployed[app], state.previous[app]].find((release) => release?.tag === tag);
}

export function sameRelease(left: Release | undefined, right: Release | undefined): boolean {
    return left?.tag === right?.tag && (left?.codeRef ?? "") === (right?.codeRef ?? "");
}

/** Pure: "sample v2 → v3, ref v1.0.0 → v1.1.0", one app per entry; unchanged apps are left out. */
export function describeChanges(from: Releases, to: Releases): string[] {
    const lines: string[] = [];
    for (const [name, target] of Object.entries(to)) {
        const source = from[name];
        if (sameRelease(source, target)) {
            continue;
        }
        const parts: string[] = [];
        if (source?.tag !== target.tag) {
            parts.push(`${source?.tag ?? "(new)"} → ${target.tag}`);
        }
        if ((source?.codeRef ?? "") !== (target.codeRef ?? "")) {
            parts.push(`ref ${source?.codeRef ?? "(none)"} → ${target.codeRef ?? "(none)"}`);
        }
        lines.push(`${name} ${parts.join(", ")}`);
    }
    return lines;
}
