// berth's policy pack in a real `pulumi preview --policy-pack`: the lab
// stack's own config passes; a violating config fails the preview when the
// pack is mandatory, and only warns under the lab's advisory config. A
// preview reaches no host, so no lab is needed.
import { join } from "node:path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { previewDeploy } from "../../cli/preview";
import { createLabStack, LabStack } from "./support/lab";
import { repositoryRoot } from "./support/repository";

const POLICY_PACK = join(repositoryRoot, "policy", "berth-policy");
const ADVISORY = join(repositoryRoot, "policy", "local.json");

describe("berth's policy pack in a real preview", () => {
    let lab: LabStack;
    beforeAll(async () => {
        lab = await createLabStack();
    }, 5 * 60_000);
    afterAll(() => lab?.remove());

    function violations(events: EngineEvent[]): string[] {
        return events.filter((event) => event.policyEvent).map((event) => `${event.policyEvent!.enforcementLevel} ${event.policyEvent!.policyName}`);
    }

    it("passes the lab's config", async () => {
        const events: EngineEvent[] = [];
        await lab.stack.preview({ policyPacks: [POLICY_PACK], onEvent: (event) => events.push(event) });
        expect(violations(events)).toEqual([]);
    }, 5 * 60_000);

    it("fails a preview that deploys `latest` or a plain-text password, and only warns when advisory", async () => {
        await lab.stack.setConfig("berth:apps[0].image.tag", { value: "latest" }, true);
        await lab.stack.setConfig("berth:apps[0].env.STRIPE_API_KEY", { value: "in-plain-sight" }, true);
        try {
            const events: EngineEvent[] = [];
            await expect(lab.stack.preview({ policyPacks: [POLICY_PACK], onEvent: (event) => events.push(event) })).rejects.toThrow(/policy/i);
            expect(new Set(violations(events))).toEqual(new Set([
                "mandatory no-latest-tag", "mandatory no-latest-pull", "mandatory secrets-not-in-plain-settings",
            ]));

            const advisory: EngineEvent[] = [];
            await lab.stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [ADVISORY], onEvent: (event) => advisory.push(event) });
            expect(new Set(violations(advisory))).toEqual(new Set(["advisory no-latest-tag", "advisory no-latest-pull", "advisory secrets-not-in-plain-settings"]));

            // berth preview applies policy/local.json for the stack named local, and reports the violations.
            const report = await previewDeploy(lab.stack);
            expect(report.blockedByPolicy).toBe(false);
            expect(report.policyViolations.join("\n")).toMatch(/advisory no-latest-tag: sample-web-web-1: .*`latest`/);
        } finally {
            await lab.stack.setConfig("berth:apps[0].image.tag", { value: "v1" }, true);
            await lab.stack.removeConfig("berth:apps[0].env.STRIPE_API_KEY", true);
        }
    }, 5 * 60_000);
});
