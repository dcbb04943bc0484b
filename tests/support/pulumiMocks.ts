import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { formatSdkPromiseStacksPlainly } from "../../stacks/sdkPromiseStacks";

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
    /** The `ignoreChanges` option: inputs whose changes the engine does not act on. */
    ignoreChanges: string[];
    /** The `retainOnDelete` option: the engine forgets the resource instead of deleting it. */
    retainOnDelete: boolean;
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
                    ignoreChanges: request.getIgnorechangesList(),
                    retainOnDelete: Boolean(request.getRetainondelete()),
                });
            }
            callback(error, response);
        });
    return records;
}

/**
 * The addresses a mocked droplet gets: derived from its resource name only,
 * so the same droplet has the same addresses in every run of a test.
 */
export function mockDropletAddresses(resourceName: string): { id: string; address: string; privateAddress: string } {
    let hash = 0;
    for (const character of resourceName) {
        hash = (hash * 31 + character.charCodeAt(0)) % 100003;
    }
    const octet = 10 + (hash % 240);
    return { id: String(100000 + hash), address: `203.0.113.${octet}`, privateAddress: `10.10.0.${octet}` };
}

/** The Docker config a mocked DigitalOcean registry issues: user and password "dop_v1_mock". */
export const MOCK_REGISTRY_CREDENTIALS = JSON.stringify({
    auths: { "registry.digitalocean.com": { auth: Buffer.from("dop_v1_mock:dop_v1_mock").toString("base64") } },
});

/** Plausible outputs for the DigitalOcean resources berth creates (ids of droplets are numbers there). */
function digitalOceanState(type: string, name: string, state: Record<string, unknown>): string | undefined {
    switch (type) {
        case "digitalocean:index/droplet:Droplet": {
            const addresses = mockDropletAddresses(name);
            Object.assign(state, { ipv4Address: addresses.address, ipv4AddressPrivate: addresses.privateAddress });
            return addresses.id;
        }
        case "digitalocean:index/reservedIp:ReservedIp":
            state.ipAddress = "198.51.100.10";
            return "198.51.100.10";
        case "digitalocean:index/sshKey:SshKey":
            state.fingerprint = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";
            return undefined;
        case "digitalocean:index/containerRegistry:ContainerRegistry":
            Object.assign(state, { endpoint: `registry.digitalocean.com/${state.name}`, serverUrl: "registry.digitalocean.com" });
            return undefined;
        case "digitalocean:index/databaseCluster:DatabaseCluster": {
            // As DigitalOcean answers: a private host in the VPC, the engine's port, the admin user and a generated password.
            const pg = state.engine === "pg";
            Object.assign(state, {
                host: `${state.name}-do-user-1.db.ondigitalocean.com`, privateHost: `private-${state.name}-do-user-1.db.ondigitalocean.com`,
                port: pg ? 25060 : 25061, user: pg ? "doadmin" : "default", password: `admin-password-of-${state.name}`, database: pg ? "defaultdb" : "",
            });
            return undefined;
        }
        case "digitalocean:index/databaseUser:DatabaseUser":
            state.password = `password-of-${state.name}`;
            return undefined;
        case "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials":
            state.dockerCredentials = MOCK_REGISTRY_CREDENTIALS;
            return undefined;
        default:
            return undefined;
    }
}

/**
 * A stand-in ed25519 public key derived from a seed: the same seed gives the
 * same key in every run (a key's shape, not a usable key).
 */
export function mockHostKey(seed: string): string {
    const name = Buffer.from("ssh-ed25519");
    const material = createHash("sha256").update(seed).digest();
    const blob = Buffer.alloc(4 + name.length + 4 + material.length);
    blob.writeUInt32BE(name.length, 0);
    name.copy(blob, 4);
    blob.writeUInt32BE(material.length, 4 + name.length);
    material.copy(blob, 8 + name.length);
    return `ssh-ed25519 ${blob.toString("base64")}`;
}

/** What ssh-keyscan would print for a mocked host: one key per address and port. */
export const mockHostKeyScanner = async (address: string, port: number): Promise<string> => `[${address}]:${port} ${mockHostKey(`${address}:${port}`)}\n`;

/** Plausible outputs for the resources berth creates. */
const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs };
        const digitalOceanId = digitalOceanState(args.type, args.name, state);
        if (digitalOceanId) {
            return { id: digitalOceanId, state };
        }
        if (args.type === "command:remote:Command" || args.type === "command:local:Command") {
            Object.assign(state, { stdout: "", stderr: "" });
            // nextWebPort on a load balancer with no nginx.conf yet (a first deploy): the first port.
            const firstPort = typeof args.inputs.create === "string" ? /else echo (\d+); fi$/m.exec(args.inputs.create) : null;
            if (firstPort) {
                state.stdout = `${firstPort[1]}\n`;
            }
        }
        if (args.type === "command:local:Command" && args.name.includes("-host-key-")) {
            // A droplet's generated host key (hostCommands.generateHostKey's output).
            const privateKey = ["-----BEGIN OPENSSH PRIVATE KEY-----", `mock-private-half-of-${args.name}`, "-----END OPENSSH PRIVATE KEY-----"].join("\n");
            state.stdout = `${privateKey}\n${mockHostKey(args.name)} berth-host-key\n`;
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
 * The bound for tests and hooks that run a whole program under mocks: a run
 * takes well under a second, but many times that on a loaded machine, and a
 * test must not fail for the machine's speed.
 */
export const MOCKED_RUN_TIMEOUT_MS = 120_000;

/**
 * Wraps a mocked run so it happens once per distinct argument (compared as
 * JSON): tests that inspect the same configuration share one run instead of
 * each paying for their own. Runs are queued, one at a time, since the mocks
 * are process-wide state.
 */
export function sharedRuns<A, T>(run: (argument: A) => Promise<T>): (argument: A) => Promise<T> {
    const runs = new Map<string, Promise<T>>();
    let queue: Promise<unknown> = Promise.resolve();
    return (argument) => {
        const key = JSON.stringify(argument);
        let shared = runs.get(key);
        if (!shared) {
            shared = queue.then(() => run(argument), () => run(argument));
            runs.set(key, shared);
            queue = shared;
        }
        return shared;
    };
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
    return withoutSdkPromiseStacks(async () => {
        const result = program();
        await settle();
        return { recorded: new RecordedProgram(records), result };
    });
}

/** Runs `run` with the SDK's promise stacks formatted plainly (see stacks/sdkPromiseStacks.ts): under jest, most of a mocked run's time. */
async function withoutSdkPromiseStacks<T>(run: () => Promise<T>): Promise<T> {
    const restore = formatSdkPromiseStacksPlainly();
    try {
        return await run();
    } finally {
        restore();
    }
}

/**
 * Waits until the program has no registration in flight, using the SDK's own
 * wait (internal, but stable since 3.0). Outputs that resolve late (a stack
 * reference's) start new registrations, so wait until a pass finds none.
 */
export async function settle(): Promise<void> {
    const runtime = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };
    for (let pass = 0; pass < 5; pass++) {
        await runtime.waitForRPCs();
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}
