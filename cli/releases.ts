import { Stack } from "@pulumi/pulumi/automation";
import { IMAGE_TAG, isGitRefName } from "../components/config/patterns";

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

/**
 * Writes releases into the stack's config, app by app, leaving every other
 * key alone, in the form the stack's file keeps `berth:apps` in: a YAML list
 * (each tag and ref set by path, so the file's diff is those lines), or one
 * JSON string (`pulumi config set berth:apps '[...]'`), which a path write
 * would replace by the one key it sets, so the whole string is written back.
 */
export async function setReleases(stack: Stack, releases: Releases): Promise<void> {
    const config = await berthConfig(stack);
    const apps = appEntries(config);
    for (const name of Object.keys(releases)) {
        if (!apps.some((entry) => entry.name === name)) {
            throw new Error(`berth:apps has no app named "${name}"`);
        }
    }
    const stored = (await stack.workspace.stackSettings(stack.name)).config?.["berth:apps"];
    if (typeof stored === "string" || (stored && typeof stored === "object" && "secure" in stored)) {
        const written = apps.map((entry) => {
            const release = typeof entry.name === "string" ? releases[entry.name] : undefined;
            if (!release) {
                return entry;
            }
            return {
                ...entry,
                image: { ...entry.image, tag: release.tag },
                ...(release.codeRef !== undefined && entry.code ? { code: { ...entry.code, ref: release.codeRef } } : {}),
            };
        });
        await stack.setConfig("berth:apps", { value: JSON.stringify(written), secret: typeof stored !== "string" });
        return;
    }
    for (const [name, release] of Object.entries(releases)) {
        const index = apps.findIndex((entry) => entry.name === name);
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

/** A release `rollback --to` names for one app: the image tag, and the code ref when given. */
export interface RequestedRelease {
    tag: string;
    codeRef?: string;
}

/**
 * Pure: what `rollback --to` asks for, app by app. Each value is `APP=TAG`,
 * `APP=TAG@REF` (the image tag and the code ref: a Docker tag never holds
 * `@`, a ref name berth accepts neither), or several of them separated by
 * commas; `--to` may be given more than once. A bare `TAG` (or `TAG@REF`)
 * names the one app of a single-app stack, and is refused when the stack has
 * more: which app would go where is then a guess. Every problem is reported,
 * in one error, before anything changes.
 */
export function parseRollbackTo(values: string[], desired: Releases): Record<string, RequestedRelease> {
    const apps = Object.keys(desired);
    const items = values.flatMap((value) => value.split(",")).map((item) => item.trim());
    const requested: Record<string, RequestedRelease> = {};
    const problems: string[] = [];
    if (items.length === 0 || items.some((item) => item === "")) {
        problems.push(`rollback --to ${JSON.stringify(values.join(","))}: name each release as APP=TAG or APP=TAG@REF, separated by commas`);
    }
    for (const item of items.filter(Boolean)) {
        const equals = item.indexOf("=");
        if (equals < 0 && apps.length !== 1) {
            problems.push(apps.length === 0
                ? `rollback --to ${item}: the stack's config names no app (berth:apps)`
                : `rollback --to ${item}: the stack has ${apps.length} apps (${apps.join(", ")}); say which one goes to ${item}: ` +
                      `--to ${apps[0]}=${item} (several at once: --to ${apps.slice(0, 2).map((app) => `${app}=TAG`).join(",")})`);
            continue;
        }
        const app = equals < 0 ? apps[0] : item.slice(0, equals);
        const release = equals < 0 ? item : item.slice(equals + 1);
        const at = release.indexOf("@");
        const tag = at < 0 ? release : release.slice(0, at);
        const codeRef = at < 0 ? undefined : release.slice(at + 1);
        if (!(app in desired)) {
            problems.push(`rollback --to ${item}: the stack has no app named ${JSON.stringify(app)} (its apps: ${apps.join(", ") || "none"})`);
            continue;
        }
        if (app in requested) {
            problems.push(`rollback --to ${item}: names ${app} a second time`);
            continue;
        }
        if (!IMAGE_TAG.test(tag)) {
            problems.push(`rollback --to ${item}: ${JSON.stringify(tag)} is not an image tag (letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 128 characters)`);
            continue;
        }
        if (codeRef !== undefined && desired[app].codeRef === undefined) {
            problems.push(`rollback --to ${item}: ${app} has no code volume (berth:apps[].code), so there is no code ref to set; use --to ${app}=${tag}`);
            continue;
        }
        if (codeRef !== undefined && !isGitRefName(codeRef)) {
            problems.push(`rollback --to ${item}: ${JSON.stringify(codeRef)} is not a git ref name (a tag like v1.4.2 or tags/<name>, or an allowed branch)`);
            continue;
        }
        requested[app] = codeRef === undefined ? { tag } : { tag, codeRef };
    }
    if (problems.length > 0) {
        throw new Error(problems.join("\n"));
    }
    return requested;
}

/**
 * Pure: where `rollback` goes for each app. If the config asks for something
 * other than what is deployed (the last deploy failed part-way), back to what
 * is deployed; otherwise to the release before it. `requested` (from
 * `--to`, see parseRollbackTo) names releases instead, for those apps only:
 * the others stay as they are. An app with a code volume given only a tag
 * gets the code ref the stack recorded with that tag, else keeps its ref.
 */
export function rollbackTargets(desired: Releases, state: DeployedState, requested?: Record<string, RequestedRelease>): Releases {
    const targets: Releases = {};
    if (requested !== undefined) {
        for (const [name, release] of Object.entries(requested)) {
            const wanted = desired[name];
            if (wanted === undefined) {
                throw new Error(`berth:apps has no app named "${name}"`);
            }
            const codeRef = wanted.codeRef === undefined ? undefined : release.codeRef ?? releaseWithTag(state, name, release.tag)?.codeRef ?? wanted.codeRef;
            targets[name] = codeRef === undefined ? { tag: release.tag } : { tag: release.tag, codeRef };
        }
        return targets;
    }
    for (const [name, wanted] of Object.entries(desired)) {
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
