/**
 * Pure: the checks behind berth's policies, on plain resource inputs, so
 * they can be read and tested without the policy engine. What config alone
 * decides, the program refuses too (components/config/validate.ts); the
 * shapes both judge by live in components/config, once.
 */
import { coversWholeFamily, IpVersion, networkRange, NetworkRange } from "../components/config/networks";
import { credentialIn, isPrivateAddress, SECRET_SETTING_NAME } from "../components/config/patterns";

export { isPrivateAddress };

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

/**
 * Secret settings belong in berth:secrets (a 0600 env file fed by a secret),
 * never in a container's plain env: by name, or by a value that carries a
 * credential (`DATABASE_URL=postgres://user:password@...`). Never repeats the value.
 */
export function plainSecretProblems(inputs: ContainerInputs): string[] {
    return (inputs.envs ?? []).flatMap((entry) => {
        const split = entry.indexOf("=");
        const [name, value] = split < 0 ? [entry, ""] : [entry.slice(0, split), entry.slice(split + 1)];
        const credential = credentialIn(value);
        // `POSTGRES_PASSWORD_FILE=/run/secrets/PASSWORD` names where a secret is, not the secret.
        const pointer = /_FILE$/.test(name) && /^\/[A-Za-z0-9_.\/-]*$/.test(value);
        const what = SECRET_SETTING_NAME.test(name) && !pointer ? name : credential ? `${name} holding a credential (${credential})` : undefined;
        return what ? [`container ${inputs.name} gets ${what} as a plain environment variable: put it in berth:secrets (pulumi config set --secret)`] : [];
    });
}

/** An app's plain settings (berth:apps[].env) named like a secret: they belong in berth:secrets. */
export function plainSettingProblems(app: string, settingNames: string[]): string[] {
    return settingNames
        .filter((name) => SECRET_SETTING_NAME.test(name))
        .map((name) => `app ${app} sets ${name} in berth:apps[].env, in plain text: set it with ` +
            `\`pulumi config set --secret --path 'berth:secrets.${app}.${name}' ...\` and remove it from env`);
}

/**
 * An app's plain settings whose values carry a credential. The App component
 * records their names (`credentialSettings`, judged with credentialIn), so
 * no value reaches the pack or the state for this check.
 */
export function credentialSettingProblems(app: string, settingNames: string[]): string[] {
    return settingNames.map((name) => `app ${app} sets ${name} in berth:apps[].env to a value that holds a credential, in plain text: set it with ` +
        `\`pulumi config set --secret --path 'berth:secrets.${app}.${name}' ...\` and remove it from env`);
}

export function publicPortProblems(inputs: ContainerInputs): string[] {
    if (inputs.name === NGINX_CONTAINER) {
        return [];
    }
    // The address first: a port bound to a private address is never read, so a host port not
    // known during a preview (a rollout's next port) does not stop the check.
    return (inputs.ports ?? [])
        .filter((port) => !(port.ip && isPrivateAddress(port.ip)))
        .filter((port) => port.external !== undefined)
        .map((port) => `container ${inputs.name} publishes port ${port.external} on ${port.ip || "every address"}: only nginx faces the internet; bind to the host's private address`);
}

const SSH_PORT = 22;
const FAMILIES: [IpVersion, string][] = [[4, "IPv4"], [6, "IPv6"]];

/**
 * Whether a DigitalOcean port range reaches `port`: `22`, `20-30`, or every
 * port (`all`, `0`, or none given, as DigitalOcean reads them). A range it
 * cannot read counts as reaching it: the rule fails closed.
 */
function coversPort(range: string | undefined, port: number): boolean {
    const text = (range ?? "").trim();
    if (text === "" || text === "all" || text === "0") {
        return true;
    }
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
    if (!match) {
        return true;
    }
    const [low, high] = [Number(match[1]), Number(match[2] ?? match[1])];
    return port >= low && port <= high;
}

/** A source as DigitalOcean reads it: a CIDR, or one address (a /32 or /128). */
function sourceRange(source: string): NetworkRange | undefined {
    return networkRange(source.includes("/") ? source : `${source}/${source.includes(":") ? 128 : 32}`);
}

/**
 * The firewall never lets the whole internet reach SSH, however it is
 * spelt: every inbound TCP rule whose ports include 22 counts, and their
 * sources together must not cover every address of a family
 * (`0.0.0.0/1` + `128.0.0.0/1` opens what `0.0.0.0/0` does).
 */
export function worldSshProblems(rules: FirewallRule[] | undefined): string[] {
    const reaching = (rules ?? []).filter((rule) => (rule.protocol ?? "tcp").toLowerCase() === "tcp" && coversPort(rule.portRange, SSH_PORT));
    const sources = reaching.flatMap((rule) => (rule.sourceAddresses ?? []).map((source) => ({ source, portRange: (rule.portRange ?? "all").trim() || "all", range: sourceRange(source) })));
    return FAMILIES.flatMap(([version, family]) => {
        const ofFamily = sources.filter((entry) => entry.range?.version === version);
        if (!coversWholeFamily(ofFamily.map((entry) => entry.range!), version)) {
            return [];
        }
        const listed = ofFamily.map((entry) => entry.portRange === String(SSH_PORT) ? entry.source : `${entry.source} (ports ${entry.portRange})`);
        return [`firewall opens port 22 (SSH) to ${listed.join(", ")}, which ${listed.length === 1 ? "covers" : "together cover"} every ${family} address: allow only berth:digitalocean.adminCidrs`];
    });
}
