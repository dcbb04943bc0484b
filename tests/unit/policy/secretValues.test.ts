import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../../policy/policies";
import { credentialSettingProblems, plainSecretProblems } from "../../../policy/rules";

/** The secret rules look at what a value holds, not only at its name. */
describe("secrets-in-secret-config: container environment values", () => {
    const container = { name: "sample-web", envs: ["BERTH_APP=sample", "DJANGO_SETTINGS_MODULE=sample.settings"] };

    it("catches a DATABASE_URL with a password, without repeating it", () => {
        const problems = plainSecretProblems({ ...container, envs: [...container.envs, "DATABASE_URL=postgres://sample:hunter2@db.internal/sample"] });
        expect(problems).toEqual([
            "container sample-web gets DATABASE_URL holding a credential (a URL with a password (scheme://user:password@host)) as a plain environment variable: put it in berth:secrets (pulumi config set --secret)",
        ]);
        expect(problems.join("\n")).not.toContain("hunter2");
    });

    it("catches key material and known token formats, and values with '=' in them", () => {
        expect(plainSecretProblems({ ...container, envs: [
            "BROKER=redis://:hunter2@cache:6379/0?a=b",
            "SIGNING=-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----",
            "DEPLOY=ghp_0123456789abcdefghijABCDEFGHIJ012345",
        ] }).map((problem) => problem.split(" as a plain")[0])).toEqual([
            "container sample-web gets BROKER holding a credential (a URL with a password (scheme://user:password@host))",
            "container sample-web gets SIGNING holding a credential (a private key)",
            "container sample-web gets DEPLOY holding a credential (a GitHub token)",
        ]);
    });

    it("lets berth's own settings and plain URLs through", () => {
        expect(plainSecretProblems({ ...container, envs: [...container.envs, "CELERY_BROKER_URL=redis://10.10.0.15:6379/0", "SITE=https://example.com:8443/"] })).toEqual([]);
    });
});

describe("secrets-not-in-plain-settings: an app's settings whose values carry credentials", () => {
    it("names them, from the names the App component records", () => {
        expect(credentialSettingProblems("sample", ["DATABASE_URL"])).toEqual([
            "app sample sets DATABASE_URL in berth:apps[].env to a value that holds a credential, in plain text: set it with `pulumi config set --secret --path 'berth:secrets.sample.DATABASE_URL' ...` and remove it from env",
        ]);
    });

    it("is what the engine's policy reports for the App resource", async () => {
        const found: string[] = [];
        const policy = (policies as ResourceValidationPolicy[]).find((candidate) => candidate.name === "secrets-not-in-plain-settings")!;
        const args = { type: "berth:index:App", name: "sample", props: { plainSettings: ["DATABASE_URL", "DJANGO_SETTINGS_MODULE"], credentialSettings: ["DATABASE_URL"] } } as unknown as ResourceValidationArgs;
        for (const check of [policy.validateResource].flat()) {
            await check!(args, (message) => found.push(message));
        }
        expect(found).toEqual([expect.stringMatching(/^app sample sets DATABASE_URL in berth:apps\[\]\.env to a value that holds a credential/)]);
    });
});

describe("a setting both named like a secret and holding a credential", () => {
    it("is reported once, by its name", async () => {
        const found: string[] = [];
        const policy = (policies as ResourceValidationPolicy[]).find((candidate) => candidate.name === "secrets-not-in-plain-settings")!;
        const args = { type: "berth:index:App", name: "sample", props: { plainSettings: ["DATABASE_PASSWORD"], credentialSettings: ["DATABASE_PASSWORD"] } } as unknown as ResourceValidationArgs;
        for (const check of [policy.validateResource].flat()) {
            await check!(args, (message) => found.push(message));
        }
        expect(found).toEqual([expect.stringMatching(/^app sample sets DATABASE_PASSWORD in berth:apps\[\]\.env, in plain text/)]);
    });
});
