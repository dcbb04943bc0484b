import { Stack } from "@pulumi/pulumi/automation";

/** The parts of an exported Pulumi deployment berth reads. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    provider?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    /** When Pulumi created this resource (a replacement is a new one): RFC 3339. */
    created?: string;
    /** The replaced resource of a create-before-delete replacement, still in the state until an update deletes it. */
    delete?: boolean;
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
export const REMOTE_COMMAND_TYPE = "command:remote:Command";

export async function readStackState(stack: Stack): Promise<StackState> {
    return stackStateOf(await stack.exportStack());
}

/** Pure: the parts berth reads of what `pulumi stack export` wrote. */
export function stackStateOf(exported: { deployment?: unknown }): StackState {
    const deployment = (exported.deployment ?? {}) as { resources?: StateResource[]; pending_operations?: PendingOperation[] };
    return { resources: deployment.resources ?? [], pendingOperations: deployment.pending_operations ?? [] };
}

// Pulumi's mark on a secret in an exported state: `{[key]: signature, ciphertext}`, or
// `plaintext` (the value as JSON) with --show-secrets. A secret anywhere inside a property
// wraps the whole property: `inputs.labels` with one secret label is such an object, not a list.
const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecret(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE;
}

/**
 * Pure: a resource property the state records as plain text, from its inputs (what berth
 * asked for) then its outputs (what the provider read back); empty when neither does.
 * Secret-wrapped values are left alone, so callers never depend on seeing secrets.
 */
export function plainStrings(resource: StateResource, property: string): string[] {
    const values = [resource.inputs?.[property], resource.outputs?.[property]].filter((value): value is string => typeof value === "string");
    return [...new Set(values)];
}

/** Why plainStrings found nothing, for a message: "the state holds it as a secret" or "the state records none". */
export function whyNotPlain(resource: StateResource, property: string): string {
    const secret = isSecret(resource.inputs?.[property]) || isSecret(resource.outputs?.[property]);
    return secret ? "the state holds it as a secret" : "the state records none";
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
            sshArguments: [...options, "-p", url.port || "22", `${decodeURIComponent(url.username) || "root"}@${sshHostName(url)}`],
        });
    }
    return result;
}

/** Every host the stack has a docker provider for, keyed by its berth host name. */
export function hostAccessByName(state: StackState): Map<string, HostAccess> {
    return new Map([...hostAccessByProvider(state).values()].map((access) => [access.host, access]));
}

/**
 * Pure: the host of an ssh:// URL as ssh takes it after `user@`. An IPv6
 * address is bracketed in the URL (`ssh://root@[2001:db8::1]:22`, as
 * components/host.ts writes it) and WHATWG URL keeps the brackets in
 * `hostname`; ssh would look `[2001:db8::1]` up as a name, so they go.
 */
export function sshHostName(url: URL): string {
    return url.hostname.startsWith("[") && url.hostname.endsWith("]") ? url.hostname.slice(1, -1) : url.hostname;
}

/** The resource's own name, the last part of its URN. */
export function resourceName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** Provider inputs are stored JSON-encoded (`"[\"-i\", ...]"`); resource inputs as lists (or secret-wrapped). */
function stringList(value: unknown): string[] {
    const list = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
    return Array.isArray(list) ? list.map(String) : [];
}
