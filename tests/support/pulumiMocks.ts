import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered, as the engine would have received it. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** The inputs as sent, secrets still wrapped: see isSecret. */
    wireInputs: Record<string, any>;
    /** URNs of the resources it waits for (`dependsOn` and input dependencies). */
    dependencies: string[];
    parent: string;
}

/**
 * Wraps the SDK's mock monitor so every registration is recorded with its
 * dependency list (the SDK's own mocks drop it), letting tests check the
 * graph the engine orders the rollout by.
 */
function recordRegistrations(monitor: any): RecordedResource[] {
    const records: RecordedResource[] = [];
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request: any, callback: (error: any, response: any) => void) =>
        register(request, (error: any, response: any) => {
            if (!error) {
                records.push({
                    urn: response.getUrn(),
                    type: request.getType(),
                    name: request.getName(),
                    inputs: revealSecrets(pulumi.runtime.deserializeProperties(request.getObject())),
                    wireInputs: request.getObject().toJavaScript(),
                    dependencies: request.getDependenciesList(),
                    parent: request.getParent(),
                });
            }
            callback(error, response);
        });
    return records;
}

/** Plausible outputs for the resources berth creates. */
const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "command:remote:Command" || args.type === "command:local:Command") {
            Object.assign(state, { stdout: "", stderr: "" });
        }
        if (args.type === "pulumi:pulumi:StackReference") {
            state.outputs = {}; // a stack deployed for the first time
        }
        if (args.type === "docker:index/remoteImage:RemoteImage") {
            state.imageId = `sha256:${args.name}`;
        }
        return { id: `${args.name}-id`, state };
    },
    call(args) {
        return args.inputs;
    },
};

const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a wire value is a Pulumi secret (the engine stores it encrypted). */
export function isSecret(wireValue: unknown): boolean {
    return typeof wireValue === "object" && wireValue !== null && Object.values(wireValue).includes(SECRET_SIGNATURE);
}

/** Replaces every secret wrapper with its value, for plain assertions on inputs. */
function revealSecrets(value: any): any {
    if (isSecret(value)) {
        return revealSecrets(value.value);
    }
    if (Array.isArray(value)) {
        return value.map(revealSecrets);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, revealSecrets(item)]));
    }
    return value;
}

export class RecordedProgram {
    constructor(readonly resources: RecordedResource[]) {}

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((resource) => resource.type === type);
    }

    named(name: string): RecordedResource {
        const found = this.resources.find((resource) => resource.name === name);
        if (!found) {
            throw new Error(`no resource named ${name}; have: ${this.resources.map((resource) => resource.name).join(", ")}`);
        }
        return found;
    }

    /** Whether `later` waits for `earlier`, directly or through other resources. */
    waitsFor(later: string, earlier: string): boolean {
        const target = this.named(earlier).urn;
        const byUrn = new Map(this.resources.map((resource) => [resource.urn, resource]));
        const seen = new Set<string>();
        const pending = [...this.named(later).dependencies];
        while (pending.length > 0) {
            const urn = pending.pop()!;
            if (urn === target) {
                return true;
            }
            if (!seen.has(urn)) {
                seen.add(urn);
                pending.push(...(byUrn.get(urn)?.dependencies ?? []));
            }
        }
        return false;
    }
}

/**
 * Runs a program under mocks with the given `berth:*` config and returns
 * every resource it registered, once all registrations are done.
 */
export async function recordProgram<T>(config: Record<string, unknown>, secretKeys: string[], program: () => T): Promise<{ recorded: RecordedProgram; result: T }> {
    await pulumi.runtime.setMocks(mocks, "berth", "test", false, "organization");
    const records = recordRegistrations(pulumi.runtime.getMonitor());
    const serialized: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        serialized[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(serialized, secretKeys);
    const result = program();
    await settle();
    return { recorded: new RecordedProgram(records), result };
}

/**
 * Waits until the program has no registration in flight, using the SDK's own
 * wait (internal, but stable since 3.0). Outputs that resolve late (a stack
 * reference's) start new registrations, so wait until a pass finds none.
 */
async function settle(): Promise<void> {
    const runtime = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };
    for (let pass = 0; pass < 5; pass++) {
        await runtime.waitForRPCs();
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}
