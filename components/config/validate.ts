import { ConfigError } from "./errors";
import {
    ADDRESS_RULE, ENV_KEY, USER_IDS, IMAGE_REPOSITORY, IMAGE_TAG, isAddress, isTagRef, NAME, NAME_RULE, RELEASE_TASK, WSGI_MODULE,
} from "./patterns";
import { checkDigitalOceanReferences, readDigitalOcean } from "./digitalocean";
import { ConfigReader } from "./reader";
import { formatHostKey, HOST_KEY_TYPES, parseHostKey } from "../ssh/hostKeys";
import { AppSpec, BerthSpec, CodeSpec, HostSpec, LoadBalancerSpec, RELOAD_MODES, Role, ROLES } from "./types";

/** What references to a host need to know: listed (`berth:hosts`) or a droplet berth creates. */
type KnownHost = Pick<HostSpec, "name" | "roles" | "sshPort">;

/** The raw values of the stack's `berth:*` config keys, as Pulumi parsed them. */
export interface RawConfig {
    production?: unknown;
    hosts?: unknown;
    loadBalancer?: unknown;
    apps?: unknown;
    /** `berth:digitalocean`: when set, berth creates droplets and adds them to the hosts. */
    digitalocean?: unknown;
}

const HOST_KEYS = ["name", "address", "privateAddress", "sshPort", "sshUser", "roles", "hostKey"] as const;
const LOAD_BALANCER_KEYS = ["host", "httpPort", "publicPort", "image"] as const;
const APP_KEYS = [
    "name", "domain", "image", "code", "webPort", "wsgiModule", "hosts", "release", "reload", "processes", "threads",
    "healthPath", "healthTimeoutSeconds", "stopGraceSeconds", "env", "memoryMb", "workerConcurrency", "user",
] as const;
const PORT = { min: 1, max: 65535 };
/** Largest uid/gid Linux accepts. */
const MAX_ID = 2147483647;
const SSH_PORT_DEFAULT = 22;

/**
 * Turns raw config into a BerthSpec with every default applied, or throws one
 * ConfigError listing every problem, each with its config path.
 */
export function validateConfig(raw: RawConfig): BerthSpec {
    const reader = new ConfigReader();
    const production = reader.boolean(raw.production, "berth:production", false);
    const digitalocean = raw.digitalocean === undefined ? undefined : readDigitalOcean(reader, raw.digitalocean);
    const hosts = readHosts(reader, raw.hosts, digitalocean !== undefined);
    const known: KnownHost[] = [...hosts, ...(digitalocean?.droplets ?? [])];
    if (digitalocean) {
        checkDropletNamesAreFree(reader, hosts, digitalocean.droplets.map((droplet) => droplet.name));
    }
    const loadBalancer = readLoadBalancer(reader, raw.loadBalancer, known);
    const apps = readApps(reader, raw.apps, known, production);
    checkPortCollisions(reader, apps, known, loadBalancer);
    if (digitalocean) {
        checkDigitalOceanReferences(reader, digitalocean, apps, loadBalancer);
    }
    if (reader.problems.length > 0) {
        throw new ConfigError(reader.problems);
    }
    return digitalocean ? { production, hosts, loadBalancer, apps, digitalocean } : { production, hosts, loadBalancer, apps };
}

/** Droplet host names are derived (`<group>-<index>`); a listed host must not take one. */
function checkDropletNamesAreFree(reader: ConfigReader, hosts: HostSpec[], dropletNames: string[]): void {
    hosts.forEach((host, index) => {
        if (dropletNames.includes(host.name)) {
            reader.problem(`berth:hosts[${index}].name`, `duplicates the droplet ${JSON.stringify(host.name)} of berth:digitalocean.droplets; host names must be unique`);
        }
    });
}

function readHosts(reader: ConfigReader, value: unknown, dropletsConfigured: boolean): HostSpec[] {
    const list = value === undefined ? [] : reader.array(value, "berth:hosts");
    if (list.length === 0 && !dropletsConfigured) {
        reader.problem("berth:hosts", "must list at least one host");
    }
    const seen = new Set<string>();
    return list.map((item, index) => {
        const path = `berth:hosts[${index}]`;
        const raw = reader.object(item, path);
        reader.knownKeys(raw, path, HOST_KEYS);
        const name = reader.string(raw.name, `${path}.name`);
        if (name && !NAME.test(name)) {
            reader.problem(`${path}.name`, `must be ${NAME_RULE} (got ${JSON.stringify(name)})`);
        }
        if (seen.has(name)) {
            reader.problem(`${path}.name`, `duplicates host ${JSON.stringify(name)}; host names must be unique`);
        }
        seen.add(name);
        const address = readAddress(reader, raw.address, `${path}.address`);
        const privateAddress = raw.privateAddress === undefined ? address : readAddress(reader, raw.privateAddress, `${path}.privateAddress`);
        const roles = reader.stringList(raw.roles, `${path}.roles`);
        if (raw.roles !== undefined && roles.length === 0) {
            reader.problem(`${path}.roles`, `must list at least one role of ${ROLES.join(", ")}`);
        }
        roles.forEach((role, roleIndex) => {
            if (!(ROLES as readonly string[]).includes(role)) {
                reader.problem(`${path}.roles[${roleIndex}]`, `must be one of ${ROLES.join(", ")} (got ${JSON.stringify(role)})`);
            }
        });
        return {
            name,
            address,
            privateAddress,
            sshPort: reader.integer(raw.sshPort, `${path}.sshPort`, SSH_PORT_DEFAULT, PORT),
            sshUser: reader.string(raw.sshUser, `${path}.sshUser`, "root"),
            roles: roles as Role[],
            ...readHostKey(reader, raw.hostKey, `${path}.hostKey`),
        };
    });
}

/** One public key line, as `ssh-keyscan` or the host's `/etc/ssh/ssh_host_*_key.pub` show it. */
function readHostKey(reader: ConfigReader, value: unknown, path: string): Pick<HostSpec, "hostKey"> {
    if (value === undefined) {
        return {};
    }
    const line = reader.string(value, path);
    const key = parseHostKey(line);
    if (!key) {
        if (line) {
            reader.problem(path, `must be one public host key line, "<type> <base64>" with a type of ${HOST_KEY_TYPES.join(", ")} (from \`ssh-keyscan HOST\` or the host's /etc/ssh/ssh_host_ed25519_key.pub)`);
        }
        return {};
    }
    return { hostKey: formatHostKey(key) };
}

function readAddress(reader: ConfigReader, value: unknown, path: string): string {
    const address = reader.string(value, path);
    if (address && !isAddress(address)) {
        reader.problem(path, `must be ${ADDRESS_RULE} (got ${JSON.stringify(address)})`);
    }
    return address;
}

function readLoadBalancer(reader: ConfigReader, value: unknown, hosts: KnownHost[]): LoadBalancerSpec {
    const raw = reader.object(value, "berth:loadBalancer");
    reader.knownKeys(raw, "berth:loadBalancer", LOAD_BALANCER_KEYS);
    const host = reader.string(raw.host, "berth:loadBalancer.host");
    if (host) {
        checkHostReference(reader, host, "berth:loadBalancer.host", hosts, "loadbalancer");
    }
    const httpPort = reader.integer(raw.httpPort, "berth:loadBalancer.httpPort", 80, PORT);
    return {
        host,
        httpPort,
        publicPort: reader.integer(raw.publicPort, "berth:loadBalancer.publicPort", httpPort, PORT),
        image: reader.string(raw.image, "berth:loadBalancer.image", "nginx:1.27-bookworm"),
    };
}

/** A host named by an app or the load balancer must exist and carry the role it is used for. */
function checkHostReference(reader: ConfigReader, name: string, path: string, hosts: KnownHost[], role: Role): void {
    const host = hosts.find((candidate) => candidate.name === name);
    if (!host) {
        const known = hosts.map((candidate) => candidate.name).join(", ") || "none";
        const where = hosts.some((candidate) => "group" in candidate) ? "berth:hosts or berth:digitalocean.droplets" : "berth:hosts";
        reader.problem(path, `names no host in ${where} (known: ${known})`);
    } else if (!host.roles.includes(role)) {
        reader.problem(path, `host ${JSON.stringify(name)} lacks the role ${JSON.stringify(role)} (it has: ${host.roles.join(", ")})`);
    }
}

function readApps(reader: ConfigReader, value: unknown, hosts: KnownHost[], production: boolean): AppSpec[] {
    const list = value === undefined ? [] : reader.array(value, "berth:apps");
    if (list.length === 0) {
        reader.problem("berth:apps", "must list at least one app");
    }
    const seen = new Set<string>();
    return list.map((item, index) => {
        const path = `berth:apps[${index}]`;
        const app = readApp(reader, reader.object(item, path), path, hosts, production);
        if (seen.has(app.name)) {
            reader.problem(`${path}.name`, `duplicates app ${JSON.stringify(app.name)}; app names must be unique`);
        }
        seen.add(app.name);
        return app;
    });
}

function readApp(reader: ConfigReader, raw: Record<string, unknown>, path: string, hosts: KnownHost[], production: boolean): AppSpec {
    reader.knownKeys(raw, path, APP_KEYS);
    const name = reader.string(raw.name, `${path}.name`);
    if (name && !NAME.test(name)) {
        reader.problem(`${path}.name`, `must be ${NAME_RULE} (got ${JSON.stringify(name)})`);
    }
    const domain = readAddress(reader, raw.domain, `${path}.domain`);

    const image = reader.object(raw.image, `${path}.image`);
    reader.knownKeys(image, `${path}.image`, ["repository", "tag"]);
    const repository = reader.string(image.repository, `${path}.image.repository`);
    if (repository && !IMAGE_REPOSITORY.test(repository)) {
        reader.problem(`${path}.image.repository`, `must be an image repository like registry.example.com:5000/team/app (got ${JSON.stringify(repository)})`);
    }
    const tag = typeof image.tag === "string" ? image.tag : "";
    if (tag === "" || !IMAGE_TAG.test(tag)) {
        reader.problem(`${path}.image.tag`, `must be an image tag: letters, digits, '_', '.', '-' (got ${JSON.stringify(image.tag ?? "")})`);
    } else if (production && tag === "latest") {
        reader.problem(`${path}.image.tag`, "must not be \"latest\" in a production stack: deploy an immutable tag such as a version or a commit");
    }

    const wsgiModule = reader.string(raw.wsgiModule, `${path}.wsgiModule`, `${name.replace(/-/g, "_")}.wsgi:application`);
    if (!WSGI_MODULE.test(wsgiModule)) {
        reader.problem(`${path}.wsgiModule`, `must be a Python module path with an optional :callable (got ${JSON.stringify(wsgiModule)})`);
    }
    const release = reader.stringList(raw.release, `${path}.release`, ["migrate", "collectstatic"]);
    release.forEach((task, taskIndex) => {
        if (task && !RELEASE_TASK.test(task)) {
            reader.problem(`${path}.release[${taskIndex}]`, `must be an entrypoint command such as migrate, collectstatic or "manage clearsessions" (got ${JSON.stringify(task)})`);
        }
    });
    const env = reader.stringMap(raw.env, `${path}.env`);
    for (const key of Object.keys(env)) {
        if (!ENV_KEY.test(key)) {
            reader.problem(`${path}.env.${key}`, "is not a valid environment variable name (letters, digits, '_', not starting with a digit)");
        }
    }
    const healthPath = reader.string(raw.healthPath, `${path}.healthPath`, "/healthz");
    if (!healthPath.startsWith("/")) {
        reader.problem(`${path}.healthPath`, `must start with "/" (got ${JSON.stringify(healthPath)})`);
    }

    return {
        name,
        domain,
        image: { repository, tag },
        code: raw.code === undefined ? undefined : readCode(reader, raw.code, `${path}.code`),
        webPort: reader.integer(raw.webPort, `${path}.webPort`, 0, { min: 1024, max: 65535 }) || missingPort(reader, raw.webPort, `${path}.webPort`),
        wsgiModule,
        hosts: readAppHosts(reader, raw.hosts, `${path}.hosts`, hosts),
        release,
        reload: reader.oneOf(raw.reload, `${path}.reload`, RELOAD_MODES, "touch"),
        processes: reader.integer(raw.processes, `${path}.processes`, 2, { min: 1, max: 64 }),
        threads: reader.integer(raw.threads, `${path}.threads`, 2, { min: 1, max: 64 }),
        healthPath,
        healthTimeoutSeconds: reader.integer(raw.healthTimeoutSeconds, `${path}.healthTimeoutSeconds`, 60, { min: 5, max: 600 }),
        stopGraceSeconds: reader.integer(raw.stopGraceSeconds, `${path}.stopGraceSeconds`, 30, { min: 0, max: 600 }),
        env,
        memoryMb: reader.integer(raw.memoryMb, `${path}.memoryMb`, 512, { min: 64, max: 65536 }),
        workerConcurrency: reader.integer(raw.workerConcurrency, `${path}.workerConcurrency`, 2, { min: 1, max: 64 }),
        ...readUser(reader, raw.user, `${path}.user`),
    };
}

/** `uid:gid`, both numeric: berth gives the app's files to exactly these ids, whatever the image calls its user. */
function readUser(reader: ConfigReader, value: unknown, path: string): Pick<AppSpec, "user"> {
    if (value === undefined) {
        return {};
    }
    const text = reader.string(value, path);
    const match = USER_IDS.exec(text);
    if (!match) {
        if (text) {
            reader.problem(path, `must be numeric ids "uid:gid" such as "10001:10001", the user the image's USER names (got ${JSON.stringify(text)})`);
        }
        return {};
    }
    const [uid, gid] = [Number(match[1]), Number(match[2])];
    if (uid > MAX_ID || gid > MAX_ID) {
        reader.problem(path, `ids must be at most ${MAX_ID} (got ${JSON.stringify(text)})`);
        return {};
    }
    return { user: { uid, gid } };
}

function missingPort(reader: ConfigReader, value: unknown, path: string): number {
    if (value === undefined) {
        reader.problem(path, "must be set: the port (1024-65535) the app's web containers publish on each web host");
    }
    return 0;
}

function readCode(reader: ConfigReader, value: unknown, path: string): CodeSpec {
    const raw = reader.object(value, path);
    reader.knownKeys(raw, path, ["repository", "ref", "allowedBranches"]);
    const allowedBranches = reader.stringList(raw.allowedBranches, `${path}.allowedBranches`, []);
    const ref = reader.string(raw.ref, `${path}.ref`);
    if (ref && !isTagRef(ref) && !allowedBranches.includes(ref)) {
        const branches = allowedBranches.length > 0 ? `one of the allowed branches (${allowedBranches.join(", ")})` : "an allowed branch (none are listed in allowedBranches)";
        reader.problem(`${path}.ref`, `must be a tag (like v1.4.2 or tags/<name>) or ${branches} (got ${JSON.stringify(ref)})`);
    }
    return { repository: reader.string(raw.repository, `${path}.repository`), ref, allowedBranches };
}

function readAppHosts(reader: ConfigReader, value: unknown, path: string, hosts: KnownHost[]): AppSpec["hosts"] {
    const raw = reader.object(value, path);
    reader.knownKeys(raw, path, ["web", "worker", "beat"]);
    const web = reader.stringList(raw.web, `${path}.web`);
    if (raw.web !== undefined && web.length === 0) {
        reader.problem(`${path}.web`, "must list at least one web host");
    }
    const worker = reader.stringList(raw.worker, `${path}.worker`, []);
    const beat = reader.stringList(raw.beat, `${path}.beat`, []);
    if (raw.beat !== undefined && beat.length !== 1) {
        reader.problem(`${path}.beat`, `must name exactly one host: celery beat is a singleton (got ${beat.length})`);
    }
    for (const [role, names] of [["web", web], ["worker", worker], ["beat", beat]] as const) {
        const seen = new Set<string>();
        names.forEach((name, index) => {
            if (seen.has(name)) {
                reader.problem(`${path}.${role}[${index}]`, `lists host ${JSON.stringify(name)} twice`);
            }
            seen.add(name);
            checkHostReference(reader, name, `${path}.${role}[${index}]`, hosts, role);
        });
    }
    return { web, worker, beat };
}

/** Two apps on one host must not publish the same port, nor take nginx's or SSH's. */
function checkPortCollisions(reader: ConfigReader, apps: AppSpec[], hosts: KnownHost[], loadBalancer: LoadBalancerSpec): void {
    const taken = new Map<string, string>(); // "host:port" -> owner
    for (const host of hosts) {
        taken.set(`${host.name}:${host.sshPort}`, "SSH");
    }
    taken.set(`${loadBalancer.host}:${loadBalancer.httpPort}`, "nginx");
    apps.forEach((app, index) => {
        if (!app.webPort) {
            return;
        }
        for (const host of app.hosts.web) {
            const key = `${host}:${app.webPort}`;
            const owner = taken.get(key);
            if (owner) {
                reader.problem(`berth:apps[${index}].webPort`, `port ${app.webPort} on host ${JSON.stringify(host)} is already used by ${owner}; give each app on a host its own port`);
            } else {
                taken.set(key, `app ${JSON.stringify(app.name)}`);
            }
        }
    });
}
