// The policies as the engine calls them: each validateResource with the
// argument bag the policy runtime builds for one resource.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../../policy/policies";

const NOT_APPLICABLE = new Error("not applicable");

function resourceArgs(type: string, name: string, props: Record<string, unknown>): ResourceValidationArgs {
    return {
        type,
        name,
        props,
        urn: `urn:pulumi:prod::berth::${type}::${name}`,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: (resourceClass: { __pulumiType?: string }) => resourceClass.__pulumiType === type,
        asType: (resourceClass: { __pulumiType?: string }) => (resourceClass.__pulumiType === type ? props : undefined),
        getConfig: () => ({}),
        // The runtime unwinds a policy that does not apply to this type the same way.
        notApplicable: () => { throw NOT_APPLICABLE; },
    } as unknown as ResourceValidationArgs;
}

async function violations(type: string, name: string, props: Record<string, unknown>): Promise<string[]> {
    const found: string[] = [];
    for (const policy of policies as ResourceValidationPolicy[]) {
        const validate = [policy.validateResource].flat().filter((check) => check !== undefined);
        for (const check of validate) {
            try {
                await check(resourceArgs(type, name, props), (message) => found.push(`${policy.name}: ${message}`));
            } catch (error) {
                if (error !== NOT_APPLICABLE) {
                    throw error;
                }
            }
        }
    }
    return found;
}

describe("berth's policies as the engine calls them", () => {
    const goodWeb = {
        name: "sample-web",
        image: "registry.example.com/sample:v2",
        labels: [{ label: "berth.role", value: "web" }],
        healthcheck: { tests: ["CMD", "true"] },
        logDriver: "json-file",
        logOpts: { "max-size": "10m" },
        envs: ["BERTH_APP=sample"],
        ports: [{ internal: 8000, external: 8001, ip: "10.10.0.11" }],
    };

    it("pass berth's own web container", async () => {
        expect(await violations("docker:index/container:Container", "sample-web-web-1", goodWeb)).toEqual([]);
    });

    it("report every problem of a container, each under its policy", async () => {
        const bad = { ...goodWeb, image: "sample:latest", healthcheck: undefined, logDriver: undefined, ports: [{ internal: 8000, external: 8001 }] };
        expect((await violations("docker:index/container:Container", "sample-web-web-1", bad)).map((line) => line.split(":")[0])).toEqual([
            "no-latest-tag", "web-health-check", "log-rotation", "no-public-ports",
        ]);
    });

    it("check pulled images, apps' plain settings and firewalls", async () => {
        expect(await violations("docker:index/remoteImage:RemoteImage", "sample-image-web-1", { name: "sample:latest" })).toHaveLength(1);
        expect(await violations("berth:index:App", "sample", { plainSettings: ["DJANGO_SETTINGS_MODULE", "SECRET_KEY"] })).toEqual([
            expect.stringMatching(/^secrets-not-in-plain-settings: app sample sets SECRET_KEY/),
        ]);
        expect(await violations("digitalocean:index/firewall:Firewall", "hosts", {
            inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }],
        })).toEqual([expect.stringMatching(/^no-world-ssh: firewall opens port 22 \(SSH\) to 0.0.0.0\/0/)]);
    });
});
