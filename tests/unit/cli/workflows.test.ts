import { readFileSync } from "node:fs";
import { join } from "node:path";

// The CI workflows hold production's credentials. A pull request's code runs in the
// preview, so the preview may only read; write credentials live in the `prod`
// environment of the deploy workflow; no secret is ever part of a script's text.

// js-yaml comes with @pulumi/pulumi (it reads Pulumi.yaml); it has no typings here.
const yaml = require("js-yaml") as { load(text: string): unknown };

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
}
interface Job {
    environment?: string;
    permissions?: Record<string, string>;
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

const directory = join(__dirname, "..", "..", "..", ".github", "workflows");
const load = (name: string) => yaml.load(readFileSync(join(directory, name), "utf8")) as Workflow;
const preview = load("preview.yml");
const deploy = load("deploy.yml");

/** The secrets a job's steps receive (by secret name). */
function secretsOf(job: Job): string[] {
    const values = [...Object.values(job.env ?? {}), ...job.steps.flatMap((step) => Object.values(step.env ?? {}))];
    return [...new Set(values.flatMap((value) => [...String(value).matchAll(/secrets\.([A-Z_]+)/g)].map((match) => match[1])))].sort();
}

describe("the CI workflows", () => {
    it.each([["preview.yml", preview], ["deploy.yml", deploy]])("%s never expands an expression into a script's text", (_name, workflow) => {
        for (const job of Object.values(workflow.jobs)) {
            for (const step of job.steps) {
                expect({ step: step.name ?? step.uses, run: step.run ?? "" }).toEqual({ step: step.name ?? step.uses, run: expect.not.stringContaining("${{") });
                expect(JSON.stringify(step.with ?? {})).not.toContain("secrets.");
            }
            // Secrets go to the steps that need them, not to every step (actions, npm install scripts).
            expect(JSON.stringify(job.env ?? {})).not.toContain("secrets.");
        }
    });

    it("previews on pull_request, never pull_request_target, with no permission by default", () => {
        expect(Object.keys(preview.on)).toEqual(["pull_request"]);
        expect(preview.permissions).toEqual({});
        expect(deploy.permissions).toEqual({});
    });

    it("runs the pull request's code in the preview environment, with read-only credentials and no deploy key", () => {
        const job = preview.jobs.preview;
        expect(job.environment).toBe("preview");
        expect(job.permissions).toEqual({ contents: "read" });
        expect(secretsOf(job)).toEqual(["DIGITALOCEAN_TOKEN", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "STATE_ACCESS_KEY_ID", "STATE_SECRET_ACCESS_KEY"]);
        expect(job.steps.find((step) => step.uses?.startsWith("actions/checkout"))?.with).toEqual({ "persist-credentials": false });
    });

    it("comments from a job that has no secret and runs no code of the pull request", () => {
        const job = preview.jobs.comment;
        expect(job.environment).toBeUndefined();
        expect(job.permissions).toEqual({ "pull-requests": "write" });
        expect(secretsOf(job)).toEqual([]);
        expect(job.steps.map((step) => step.uses?.split("@")[0])).toEqual(["actions/download-artifact", "actions/github-script"]);
    });

    it("keeps the deploy key and the write credentials in the prod environment of the deploy", () => {
        const job = deploy.jobs.deploy;
        expect(Object.keys(deploy.jobs)).toEqual(["deploy"]);
        expect(job.environment).toBe("prod");
        expect(job.permissions).toEqual({ contents: "read" });
        expect(secretsOf(job)).toEqual(["BERTH_SSH_KEY", "DIGITALOCEAN_TOKEN", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "STATE_ACCESS_KEY_ID", "STATE_SECRET_ACCESS_KEY"]);
        // Only the step that writes the key file sees it.
        expect(job.steps.filter((step) => JSON.stringify(step.env ?? {}).includes("BERTH_SSH_KEY")).map((step) => step.name)).toEqual(["Deploy key"]);
    });
});
