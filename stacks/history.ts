import * as pulumi from "@pulumi/pulumi";
import { AppSpec } from "../components/config/types";

/** What an app ran before the current deploy: where `rollback` goes back to. */
export interface PreviousRelease {
    tag: string;
    codeRef?: string;
}

interface RecordedApp {
    tag?: string;
    codeRef?: string;
}

/**
 * Reads this stack's own outputs from its last deploy (a StackReference to
 * itself) and works out, per app, the release to roll back to: the one that
 * ran before, if this deploy changes the tag or ref; otherwise the pointer
 * the last deploy recorded.
 */
export function previousReleases(apps: AppSpec[], self: pulumi.StackReference): pulumi.Output<Record<string, PreviousRelease | undefined>> {
    return pulumi
        .all([self.getOutput("apps"), self.getOutput("previousReleases")])
        .apply(([recordedApps, recordedPrevious]) => {
            const before = (recordedApps ?? {}) as Record<string, RecordedApp | undefined>;
            const earlier = (recordedPrevious ?? {}) as Record<string, PreviousRelease | undefined>;
            const result: Record<string, PreviousRelease | undefined> = {};
            for (const app of apps) {
                result[app.name] = pickPrevious(app, before[app.name], earlier[app.name]);
            }
            return result;
        });
}

/** Pure: the release to roll back to, given what ran before and what was recorded then. */
export function pickPrevious(app: AppSpec, before: RecordedApp | undefined, earlier: PreviousRelease | undefined): PreviousRelease | undefined {
    if (!before?.tag) {
        return earlier;
    }
    const changed = before.tag !== app.image.tag || (before.codeRef ?? undefined) !== app.code?.ref;
    if (!changed) {
        return earlier;
    }
    return before.codeRef === undefined ? { tag: before.tag } : { tag: before.tag, codeRef: before.codeRef };
}
