import { Stack } from "@pulumi/pulumi/automation";

/** The parts of an exported Pulumi deployment berth reads. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    provider?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export interface PendingOperation {
    resource: StateResource;
    type: "creating" | "updating" | "deleting" | "reading" | "importing" | string;
}

export interface StackState {
    resources: StateResource[];
    pendingOperations: PendingOperation[];
}

export const CONTAINER_TYPE = "docker:index/container:Container";
export const DOCKER_PROVIDER_TYPE = "pulumi:providers:docker";

export async function readStackState(stack: Stack): Promise<StackState> {
    const exported = await stack.exportStack();
    const deployment = (exported.deployment ?? {}) as { resources?: StateResource[]; pending_operations?: PendingOperation[] };
    return { resources: deployment.resources ?? [], pendingOperations: deployment.pending_operations ?? [] };
}

/** How to reach a host over SSH, from its docker provider's inputs (`ssh://user@address:port`, sshOpts). */
export interface HostAccess {
    /** The berth host name (the provider is named `<host>-docker`). */
    host: string;
    sshArguments: string[];
}

/** Every host the stack has a docker provider for, keyed by the provider reference `urn::id`. */
export function hostAccessByProvider(state: StackState): Map<string, HostAccess> {
    const result = new Map<string, HostAccess>();
    for (const resource of state.resources) {
        if (resource.type !== DOCKER_PROVIDER_TYPE || typeof resource.inputs?.host !== "string") {
            continue;
        }
        const url = new URL(resource.inputs.host);
        if (url.protocol !== "ssh:") {
            continue;
        }
        const options = stringList(resource.inputs.sshOpts);
        const providerName = resource.urn.split("::").pop() ?? "";
        result.set(`${resource.urn}::${resource.id}`, {
            host: providerName.replace(/-docker$/, ""),
            sshArguments: [...options, "-p", url.port || "22", `${decodeURIComponent(url.username) || "root"}@${url.hostname}`],
        });
    }
    return result;
}

/** The resource's own name, the last part of its URN. */
export function resourceName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** Provider inputs are stored JSON-encoded (`"[\"-i\", ...]"`); resource inputs as lists. */
function stringList(value: unknown): string[] {
    const list = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
    return Array.isArray(list) ? list.map(String) : [];
}
