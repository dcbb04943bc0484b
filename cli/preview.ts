import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { AppSpec, validateConfig } from "../components/config";
import { rolloutNames } from "../components/rollout/names";
import { appHosts, describeRollout } from "../components/rollout/plan";
import { policyOptions } from "./policyPack";
import { AppPlan, PreviewReport, PreviewStep } from "./previewReport";
import { berthConfig, deployedState, describeChanges, releasesInConfig } from "./releases";
import { readRepairs } from "./repair";
import { resourceName } from "./stackState";
import { planTimeline } from "./timeline";

const CONTAINER_TYPE = "docker:index/container:Container";

/**
 * `berth preview`: the real `pulumi preview`, plus, per app, the path the
 * deploy takes (image rollout, code path, nothing) and its steps in the
 * order the program wires them.
 */
export async function previewDeploy(stack: Stack, options: { repair?: boolean } = {}): Promise<PreviewReport> {
    const { repairs, replace } = options.repair === false ? { repairs: [], replace: [] } : await plannedRepairs(stack);
    const steps: PreviewStep[] = [];
    const policyViolations: string[] = [];
    const onEvent = (event: EngineEvent): void => {
        const policy = event.policyEvent;
        if (policy) {
            const where = policy.resourceUrn ? `${resourceName(policy.resourceUrn)}: ` : "";
            policyViolations.push(`${policy.enforcementLevel} ${policy.policyName}: ${where}${policy.message.trim()}`);
        }
        const metadata = event.resourcePreEvent?.metadata;
        // A replacement is announced three times (create-replacement, replace,
        // delete-replaced); the report lists it once, as "replace".
        if (metadata && !["same", "read", "create-replacement", "delete-replaced"].includes(metadata.op)) {
            steps.push({ op: metadata.op, name: resourceName(metadata.urn), type: metadata.type, diffs: metadata.diffs ?? [] });
        }
    };
    // A mandatory violation fails the preview; the report still says which, for the pull request.
    const result = await stack.preview({ onEvent, color: "never", ...(replace.length > 0 ? { replace } : {}), ...policyOptions(stack.name) }).catch((error: Error) => {
        if (policyViolations.some((violation) => violation.startsWith("mandatory"))) {
            return undefined;
        }
        throw error;
    });
    const config = await berthConfig(stack);
    const spec = validateConfig(config);
    const { deployed } = await deployedState(stack);
    // Each app's path from its own changes: what a repair replaces is listed under repairs.
    const plans = spec.apps.map((app) => appPlan(app, steps.filter((step) => !replace.some((urn) => resourceName(urn) === step.name))));
    const changing = spec.apps.flatMap((app, index) => (plans[index].path === "none" ? [] : [{ app, path: plans[index].path as "image" | "code" }]));
    return {
        stack: stack.name,
        changes: describeChanges(deployed, releasesInConfig(config)),
        counts: (result?.changeSummary ?? {}) as Record<string, number>,
        blockedByPolicy: result === undefined,
        steps,
        plans,
        timeline: planTimeline(`berth preview ${stack.name}: the rollout in order (one unit per step)`, changing, spec.hosts.map((host) => host.name)),
        policyViolations,
        repairs,
    };
}

/**
 * The drift `berth deploy` would repair, read from the hosts. A preview
 * without access to them (a pull request's read-only credentials hold no
 * SSH key) says so instead of failing.
 */
async function plannedRepairs(stack: Stack): Promise<{ repairs: string[]; replace: string[] }> {
    try {
        const { lines, urns } = await readRepairs(stack);
        return { repairs: lines, replace: urns };
    } catch (error) {
        return { repairs: [`not checked: the hosts could not be read (${(error as Error).message.split("\n")[0]})`], replace: [] };
    }
}

/** Pure: the path an app's deploy takes, judged from what the engine would change. */
export function appPlan(app: AppSpec, steps: PreviewStep[]): AppPlan {
    const ofApp = steps.filter((step) => step.name.startsWith(`${app.name}-`));
    if (ofApp.some((step) => step.type === CONTAINER_TYPE && step.op === "replace")) {
        return { app: app.name, path: "image", lines: describeRollout(app, "image") };
    }
    const codeSwitches = new Set(appHosts(app).map((host) => rolloutNames(app.name).codeSwitch(host)));
    if (ofApp.some((step) => codeSwitches.has(step.name))) {
        return { app: app.name, path: "code", lines: describeRollout(app, "code") };
    }
    return { app: app.name, path: "none", lines: [] };
}
