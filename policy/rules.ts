/**
 * Pure: the checks behind berth's policies, on plain resource inputs, so
 * they can be read and tested without the policy engine.
 */

export interface ContainerInputs {
    name?: string;
    image?: string;
    labels?: { label: string; value: string }[];
    healthcheck?: { tests?: string[] };
    logDriver?: string;
    logOpts?: Record<string, string>;
    envs?: string[];
    ports?: { internal: number; external?: number; ip?: string }[];
}

export interface FirewallRule {
    protocol?: string;
    portRange?: string;
    sourceAddresses?: string[];
}

/** The one container allowed to publish a port on a public address. */
export const NGINX_CONTAINER = "berth-nginx";

/** A tag that is missing, `latest`, or a moving branch name cannot be rolled back to. */
export function imageTagProblem(image: string | undefined): string | undefined {
    if (!image) {
        return undefined;
    }
    const lastPart = image.split("/").pop() ?? image;
    const tag = lastPart.includes("@") ? "digest" : lastPart.split(":")[1];
    if (tag === undefined) {
        return `image ${image} has no tag: pin a version (berth:apps[].image.tag)`;
    }
    if (tag === "latest") {
        return `image ${image} uses the tag \`latest\`: pin a version so a rollback knows where to go back to`;
    }
    return undefined;
}

export function labelOf(inputs: ContainerInputs, label: string): string | undefined {
    return inputs.labels?.find((entry) => entry.label === label)?.value;
}

export function webHealthCheckProblem(inputs: ContainerInputs): string | undefined {
    if (labelOf(inputs, "berth.role") !== "web") {
        return undefined;
    }
    const tests = inputs.healthcheck?.tests ?? [];
    return tests.length === 0 || tests[0] === "NONE" ? `web container ${inputs.name} has no health check: rollouts cannot be gated on it` : undefined;
}

export function logRotationProblem(inputs: ContainerInputs): string | undefined {
    const rotates = inputs.logDriver === "local" || (inputs.logDriver === "json-file" && Boolean(inputs.logOpts?.["max-size"]));
    return rotates ? undefined : `container ${inputs.name} does not rotate its logs: set logDriver json-file with logOpts max-size (or local)`;
}

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIALS)/i;

/** Secret settings belong in berth:secrets (a 0600 env file fed by a secret), never in a container's plain env. */
export function plainSecretProblems(inputs: ContainerInputs): string[] {
    return (inputs.envs ?? [])
        .map((entry) => entry.split("=")[0])
        .filter((name) => SECRET_NAME.test(name))
        .map((name) => `container ${inputs.name} gets ${name} as a plain environment variable: put it in berth:secrets (pulumi config set --secret)`);
}

/** An app's plain settings (berth:apps[].env) named like a secret: they belong in berth:secrets. */
export function plainSettingProblems(app: string, settingNames: string[]): string[] {
    return settingNames
        .filter((name) => SECRET_NAME.test(name))
        .map((name) => `app ${app} sets ${name} in berth:apps[].env, in plain text: set it with ` +
            `\`pulumi config set --secret --path 'berth:secrets.${app}.${name}' ...\` and remove it from env`);
}

/** Private (RFC 1918), loopback or link-local: not reachable from the internet. */
export function isPrivateAddress(address: string): boolean {
    const parts = address.split(".").map(Number);
    if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part))) {
        return false;
    }
    const [a, b] = parts;
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

export function publicPortProblems(inputs: ContainerInputs): string[] {
    if (inputs.name === NGINX_CONTAINER) {
        return [];
    }
    return (inputs.ports ?? [])
        .filter((port) => port.external !== undefined && !(port.ip && isPrivateAddress(port.ip)))
        .map((port) => `container ${inputs.name} publishes port ${port.external} on ${port.ip || "every address"}: only nginx faces the internet; bind to the host's private address`);
}

const WORLD = ["0.0.0.0/0", "::/0"];

function coversPort(range: string | undefined, port: number): boolean {
    if (!range || range === "all") {
        return true;
    }
    const [low, high = low] = range.split("-").map(Number);
    return port >= low && port <= high;
}

export function worldSshProblems(rules: FirewallRule[] | undefined): string[] {
    return (rules ?? [])
        .filter((rule) => (rule.protocol ?? "tcp") === "tcp" && coversPort(rule.portRange, 22))
        .filter((rule) => (rule.sourceAddresses ?? []).some((source) => WORLD.includes(source)))
        .map((rule) => `firewall opens port ${rule.portRange ?? "all"} (SSH) to ${rule.sourceAddresses!.filter((source) => WORLD.includes(source)).join(", ")}: allow only berth:digitalocean.adminCidrs`);
}
