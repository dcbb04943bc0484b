import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BerthOutputs, releaseSummary, uptimeTargets } from "../../../examples/consumer/targets";
import { watchBerthStack } from "../../../examples/consumer/watch";
import { deployStack, readStackConfig } from "../../../stacks";
import { digitalOceanConfig } from "../../support/digitalOceanConfig";
import { temporaryDirectory } from "../../support/files";
import { mockDropletAddresses, MOCKED_RUN_TIMEOUT_MS, recordProgram, settle, mockHostKeyScanner } from "../../support/pulumiMocks";

// Whole-program runs under mocks: slow on a loaded machine, so bounded generously (see MOCKED_RUN_TIMEOUT_MS).
jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

const keyDirectory = temporaryDirectory("consumer-keys");
const sshKeyPath = join(keyDirectory, "id_ed25519");
writeFileSync(sshKeyPath, "not-a-real-key\n");

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** The outputs berth's own program exports for the prod config, resolved as another stack would read them. */
async function berthProdOutputs(): Promise<BerthOutputs> {
    const config: Record<string, unknown> = { "berth:sshKeyPath": sshKeyPath };
    for (const [key, value] of Object.entries(digitalOceanConfig())) {
        config[`berth:${key}`] = value;
    }
    const { result } = await recordProgram(config, [], () => deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner }));
    const apps: BerthOutputs["apps"] = {};
    for (const [name, app] of Object.entries(result.apps)) {
        apps[name] = await valueOf(app);
    }
    // Through JSON, as the engine stores stack outputs.
    return JSON.parse(JSON.stringify({ apps, hosts: await valueOf(result.hosts), loadBalancer: await valueOf(result.loadBalancer) }));
}

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

/** Runs the consumer under mocks whose StackReference returns `outputs`, recording what it creates. */
async function runConsumer(outputs: BerthOutputs, alertEmail?: string): Promise<{ registered: Registered[]; checks: unknown; summary: string[]; referenced: string[] }> {
    const registered: Registered[] = [];
    const referenced: string[] = [];
    await pulumi.runtime.setMocks({
        newResource(args) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            if (args.type === "pulumi:pulumi:StackReference") {
                referenced.push(args.inputs.name);
                return { id: args.inputs.name, state: { name: args.inputs.name, outputs, secretOutputNames: [] } };
            }
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    }, "berth-monitoring", "dev", false, "organization");
    const watched = watchBerthStack("organization/berth/prod", alertEmail);
    const checks = await valueOf(watched.checks);
    const summary = await valueOf(watched.summary);
    await settle();
    return { registered, checks, summary, referenced };
}

describe("the example consumer (examples/consumer)", () => {
    let outputs: BerthOutputs;
    beforeAll(async () => {
        outputs = await berthProdOutputs();
    });

    it("reads the documented outputs of a berth prod stack", () => {
        expect(Object.keys(outputs).sort()).toEqual(["apps", "hosts", "loadBalancer"]);
        expect(outputs.loadBalancer.reservedIp).toBe("198.51.100.10");
        expect(outputs.hosts.web!.map((host) => host.name)).toEqual(["web-1", "web-2"]);
    });

    it("turns them into one check per app and per host (pure)", () => {
        const address = (host: string) => mockDropletAddresses(`digitalocean-droplet-${host}`).address;
        expect(uptimeTargets(outputs)).toEqual([
            { name: "app-antisocial", type: "https", target: "https://antisocial.example.com/" },
            { name: "host-lb-1", type: "ping", target: address("lb-1") },
            { name: "host-web-1", type: "ping", target: address("web-1") },
            { name: "host-web-2", type: "ping", target: address("web-2") },
            { name: "host-worker-1", type: "ping", target: address("worker-1") },
        ]);
        expect(releaseSummary(outputs)).toEqual(["antisocial: https://antisocial.example.com/ -> 198.51.100.10 (image 2026.11.1, code v2026.11.1)"]);
    });

    it("creates the checks and alerts through a StackReference", async () => {
        const { registered, referenced, summary } = await runConsumer(outputs, "ops@example.com");
        expect(referenced).toEqual(["organization/berth/prod"]);
        const checks = registered.filter((resource) => resource.type === "digitalocean:index/uptimeCheck:UptimeCheck");
        expect(checks.map((check) => [check.name, check.inputs.type, check.inputs.target]).sort()).toEqual(
            uptimeTargets(outputs).map((target) => [target.name, target.type, target.target]),
        );
        const alerts = registered.filter((resource) => resource.type === "digitalocean:index/uptimeAlert:UptimeAlert");
        expect(alerts.length).toBe(5);
        expect(alerts.find((alert) => alert.name === "app-antisocial-down")!.inputs).toMatchObject({
            checkId: "app-antisocial-id", type: "down", notifications: [{ emails: ["ops@example.com"] }],
        });
        expect(summary).toEqual(releaseSummary(outputs));
    });

    it("adds a check for a new web host and keeps the others' names", async () => {
        const scaled: BerthOutputs = { ...outputs, hosts: { ...outputs.hosts, web: [...outputs.hosts.web!, { name: "web-3", address: "203.0.113.99", privateAddress: "10.10.0.99" }] } };
        const { registered } = await runConsumer(scaled);
        const names = registered.filter((resource) => resource.type === "digitalocean:index/uptimeCheck:UptimeCheck").map((check) => check.name).sort();
        expect(names).toEqual(["app-antisocial", "host-lb-1", "host-web-1", "host-web-2", "host-web-3", "host-worker-1"]);
        expect(registered.some((resource) => resource.type === "digitalocean:index/uptimeAlert:UptimeAlert")).toBe(false);
    });
});
