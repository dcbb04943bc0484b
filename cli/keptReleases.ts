// `berth releases`: what each host keeps of each app for a rollback: its
// code releases and its image tags, read from the hosts.
import { Stack } from "@pulumi/pulumi/automation";
import { validateConfig } from "../components/config";
import { appLayout } from "../components/render/layout";
import { appHosts } from "../components/rollout/plan";
import { listKeptReleases } from "../components/shell/keptReleases";
import { berthConfig, deployedState, Releases } from "./releases";
import { runOnHost } from "./remote";
import { hostAccessByName, readStackState } from "./stackState";

/** What one host keeps of one app. */
export interface KeptOnHost {
    host: string;
    app: string;
    /** Newest deploy first, then those fetched but never deployed (`deployed` false), newest fetch first. */
    releases: { ref: string; commit: string; deployed: boolean }[];
    /** The release the code link points at. */
    linked?: string;
    /** Deploy order, newest first; `present` false once the image is gone from the host. */
    tags: { tag: string; present: boolean }[];
}

/** Pure: listKeptReleases' lines on one host. */
export function parseKeptReleases(host: string, app: string, output: string): KeptOnHost {
    const kept: KeptOnHost = { host, app, releases: [], tags: [] };
    for (const line of output.split("\n")) {
        const [kind, name, detail, how] = line.trim().split(/\s+/);
        if (kind === "release" && name) {
            kept.releases.push({ ref: name, commit: detail ?? "unknown", deployed: how !== "fetched" });
        } else if (kind === "linked" && name) {
            kept.linked = name;
        } else if (kind === "tag" && name) {
            kept.tags.unshift({ tag: name, present: detail === "present" });
        }
    }
    return kept;
}

/** Pure: the report, app by app, host by host; the deployed release marked. */
export function renderKeptReleases(kept: KeptOnHost[], deployed: Releases): string {
    if (kept.length === 0) {
        return "no host of the stack keeps any app (nothing deployed yet?)";
    }
    const lines: string[] = [];
    for (const { host, app, releases, linked, tags } of kept) {
        lines.push(`${app} on ${host}`);
        if (releases.length > 0 || linked) {
            const described = releases.map(({ ref, commit, deployed }) =>
                `${ref} (${ref === linked ? "linked, " : ""}${commit.slice(0, 7)}${deployed || ref === linked ? "" : ", fetched, never deployed"})`);
            lines.push(`  code releases, newest deploy first: ${described.join(" · ") || "none"}`);
        }
        const described = tags.map(({ tag, present }) => `${tag}${tag === deployed[app]?.tag ? " (deployed)" : ""}${present ? "" : " (image gone from the host)"}`);
        lines.push(`  image tags, newest first: ${described.join(" · ") || "none recorded yet"}`);
    }
    return lines.join("\n");
}

/** Reads every host of every app in the stack's config, or of the one named. */
export async function readKeptReleases(stack: Stack, appName?: string): Promise<{ kept: KeptOnHost[]; deployed: Releases }> {
    const [config, state, { deployed }] = await Promise.all([berthConfig(stack), readStackState(stack), deployedState(stack)]);
    const spec = validateConfig(config);
    const apps = spec.apps.filter((app) => appName === undefined || app.name === appName);
    if (apps.length === 0) {
        throw new Error(`releases ${appName}: the stack ${stack.name} has no app of that name (its apps: ${spec.apps.map((app) => app.name).join(", ")})`);
    }
    const access = hostAccessByName(state);
    // Every host at once; the report keeps the config's order.
    const reads = apps.flatMap((app) => appHosts(app).flatMap((host) => {
        const reach = access.get(host);
        return reach ? [runOnHost(reach, listKeptReleases(appLayout(app.name), app.image.repository)).then((output) => parseKeptReleases(host, app.name, output))] : [];
    }));
    return { kept: await Promise.all(reads), deployed };
}
