import { ConfigError } from "./errors";
import { gitRepositoryProblem } from "./git";
import {
    ADDRESS_RULE, credentialIn, ENV_KEY, ENV_KEY_RULE, GIT_BRANCH_RULE, HEALTH_PATH_RULE, IMAGE_REFERENCE_RULE, IMAGE_REPOSITORY, IMAGE_TAG, isAddress,
    isGitRefName, isHealthPath, isImageReference, isPinnedImageReference, isPrivateAddress, isTagRef, isVersionedTag, NAME, NAME_RULE,
    PRIVATE_ADDRESS_RULE, RELEASE_TASK, SECRET_SETTING_NAME, SECRET_SETTING_NAME_RULE, SSH_USER, SSH_USER_RULE, USER_IDS, VERSIONED_TAG_RULE,
    WSGI_MODULE,
} from "./patterns";
import { checkDigitalOceanReferences, readDigitalOcean } from "./digitalocean";
import { checkAccessoryUses, readAccessories, readAppAccessories } from "./accessories";
import { checkHostReference, KnownHost } from "./hostReference";
import { ConfigReader, keyPath } from "./reader";
import { formatHostKey, HOST_KEY_TYPES, parseHostKey } from "../ssh/hostKeys";
import { ACCESSORIES_DIRECTORY, NGINX_DIRECTORY, TLS_DIRECTORY } from "../render/layout";
import { readSecrets } from "./secrets";
import { checkTls, readAppTls, readTls } from "./tls";
import { AccessorySpec, AppSecrets, AppSpec, BerthSpec, CodeSpec, HostSpec, LoadBalancerSpec, RELEASE_WHEN, RELOAD_MODES, Role, ROLES, SWAP_MODES, webPorts } from "./types";

/**
 * The raw values of the stack's `berth:*` config keys (without the
 * namespace), as Pulumi parsed them. Any other key is an unknown setting.
 */
export interface RawConfig {
    production?: unknown;
    /** `berth:sshKeyPath`: the deploying machine's private key file. */
    sshKeyPath?: unknown;
    /** `berth:secrets`: per app, its secret settings. */
    secrets?: unknown;
    hosts?: unknown;
    loadBalancer?: unknown;
    apps?: unknown;
    /** `berth:accessories`: PostgreSQL, Redis or other services on data hosts. */
    accessories?: unknown;
    /** `berth:tls`: the ACME CA and how nginx serves HTTPS. */
    tls?: unknown;
    /** `berth:digitalocean`: when set, berth creates droplets and adds them to the hosts. */
    digitalocean?: unknown;
    /** Keys berth does not know (`berth:prodution`): reported, never ignored. */
    [unknownKey: string]: unknown;
}

/** The `berth:*` keys, in the order the README lists them. */
const TOP_LEVEL_KEYS = ["production", "sshKeyPath", "secrets", "hosts", "loadBalancer", "apps", "accessories", "tls", "digitalocean"] as const;
const HOST_KEYS = ["name", "address", "privateAddress", "sshPort", "sshUser", "roles", "hostKey"] as const;
const LOAD_BALANCER_KEYS = ["host", "httpPort", "publicPort", "httpsPort", "publicHttpsPort", "image"] as const;
const APP_KEYS = [
    "name", "domain", "image", "code", "webPort", "swap", "wsgiModule", "hosts", "release", "releaseWhen", "reload", "processes", "threads",
    "healthPath", "healthTimeoutSeconds", "stopGraceSeconds", "keepReleases", "env", "memoryMb", "workerConcurrency", "tls", "accessories", "user",
] as const;
const PORT = { min: 1, max: 65535 };
/** Largest uid/gid Linux accepts. */
const MAX_ID = 2147483647;
const SSH_PORT_DEFAULT = 22;

/**
 * How the stack's reader checks the key file at `berth:sshKeyPath` (as
 * configured, `~/` unexpanded): the problem to report, or undefined when it
 * can be read. The validator itself does no I/O.
 */
export type KeyFileCheck = (configuredPath: string) => string | undefined;

/** A stack's whole config, validated: the spec, the key file, the secrets (kept apart from the spec). */
export interface ValidatedStackConfig {
    spec: BerthSpec;
    /** `berth:sshKeyPath` as configured (`~/` unexpanded). */
    sshKeyPath: string;
    secrets: AppSecrets;
}

/**
 * Turns raw config into a BerthSpec with every default applied, or throws one
 * ConfigError listing every problem, each with its config path. Secrets and
 * the key path are checked when present; `validateStackConfig` requires them.
 */
export function validateConfig(raw: RawConfig): BerthSpec {
    return validateStackConfig(raw).spec;
}

/**
 * What the program runs before any resource is registered: every key of
 * the namespace, the secrets' shape and names, and with `keyFileProblem`
 * the key file, which is then required. Throws one ConfigError with every
 * problem; no message ever holds a secret's value.
 */
export function validateStackConfig(raw: RawConfig, keyFileProblem?: KeyFileCheck): ValidatedStackConfig {
    const reader = new ConfigReader();
    for (const key of Object.keys(raw).sort()) {
        if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key) && raw[key] !== undefined) {
            reader.problem(`berth:${key}`, `is not a known setting; allowed: ${TOP_LEVEL_KEYS.map((known) => `berth:${known}`).join(", ")}`);
        }
    }
    const production = reader.boolean(raw.production, "berth:production", false);
    const sshKeyPath = readSshKeyPath(reader, raw.sshKeyPath, keyFileProblem);
    const digitalocean = raw.digitalocean === undefined ? undefined : readDigitalOcean(reader, raw.digitalocean);
    const hosts = readHosts(reader, raw.hosts, digitalocean !== undefined);
    const known: KnownHost[] = [...hosts, ...(digitalocean?.droplets ?? [])];
    if (digitalocean) {
        checkDropletNamesAreFree(reader, hosts, digitalocean.droplets.map((droplet) => droplet.name));
    }
    const loadBalancer = readLoadBalancer(reader, raw.loadBalancer, known, production);
    const apps = readApps(reader, raw.apps, known, production);
    const accessories = readAccessories(reader, raw.accessories, known, production, apps.map((app) => app.name));
    checkPortCollisions(reader, apps, accessories, known, loadBalancer);
    if (production) {
        checkWebPortsArePrivate(reader, raw.hosts, hosts, apps);
    }
    if (digitalocean) {
        checkDigitalOceanReferences(reader, digitalocean, apps, loadBalancer);
    }
    const secrets = readSecrets(reader, raw.secrets, apps.map((app) => app.name).filter(Boolean), accessories.map((accessory) => accessory.name).filter(Boolean));
    checkAccessoryUses(reader, apps, accessories, secrets, production, digitalocean?.databases ?? []);
    const tls = readTls(reader, raw.tls, production);
    checkTls(reader, tls, apps, secrets, new Date(), { production, publicPort: loadBalancer.publicPort });
    if (reader.problems.length > 0) {
        throw new ConfigError(reader.problems);
    }
    const spec: BerthSpec = digitalocean ? { production, hosts, loadBalancer, apps, accessories, tls, digitalocean } : { production, hosts, loadBalancer, apps, accessories, tls };
    return { spec, sshKeyPath, secrets };
}

function readSshKeyPath(reader: ConfigReader, value: unknown, keyFileProblem: KeyFileCheck | undefined): string {
    const path = "berth:sshKeyPath";
    if (value === undefined) {
        if (keyFileProblem) {
            reader.problem(path, "must be set: the private key file that reaches the hosts over SSH");
        }
        return "";
    }
    const configured = reader.string(value, path);
    if (/[\0\n\r]/.test(configured)) {
        reader.problem(path, "must be a file path on one line, without NUL characters");
        return "";
    }
    const problem = configured && keyFileProblem ? keyFileProblem(configured) : undefined;
    if (problem) {
        reader.problem(path, problem);
    }
    return configured;
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
    const endpoints = new Map<string, number>(); // "address:port" -> index of the first host there
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
        const sshPort = reader.integer(raw.sshPort, `${path}.sshPort`, SSH_PORT_DEFAULT, PORT);
        // Two entries for one SSH endpoint are one Docker engine: their containers (`<app>-web`) would replace each other.
        const endpoint = `${address}:${sshPort}`;
        const first = endpoints.get(endpoint);
        if (address && first !== undefined) {
            reader.problem(`${path}.address`, `reaches the same SSH endpoint as berth:hosts[${first}] (${endpoint}): both would deploy into one Docker engine; give each host its own address or sshPort`);
        } else {
            endpoints.set(endpoint, index);
        }
        const sshUser = reader.string(raw.sshUser, `${path}.sshUser`, "root");
        if (sshUser && !SSH_USER.test(sshUser)) {
            reader.problem(`${path}.sshUser`, `must be ${SSH_USER_RULE} (got ${JSON.stringify(sshUser)})`);
        }
        return {
            name, address, privateAddress, sshPort, sshUser,
            roles: readRoles(reader, raw.roles, `${path}.roles`),
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

/** Roles of a host: at least one, each known, none twice. */
function readRoles(reader: ConfigReader, value: unknown, path: string): Role[] {
    const roles = reader.stringList(value, path);
    if (value !== undefined && roles.length === 0) {
        reader.problem(path, `must list at least one role of ${ROLES.join(", ")}`);
    }
    roles.forEach((role, index) => {
        if (!(ROLES as readonly string[]).includes(role)) {
            reader.problem(`${path}[${index}]`, `must be one of ${ROLES.join(", ")} (got ${JSON.stringify(role)})`);
        } else if (roles.indexOf(role) < index) {
            reader.problem(`${path}[${index}]`, `lists the role ${JSON.stringify(role)} twice`);
        }
    });
    return roles as Role[];
}

function readAddress(reader: ConfigReader, value: unknown, path: string): string {
    const address = reader.string(value, path);
    if (address && !isAddress(address)) {
        reader.problem(path, `must be ${ADDRESS_RULE} (got ${JSON.stringify(address)})`);
    }
    return address;
}

function readLoadBalancer(reader: ConfigReader, value: unknown, hosts: KnownHost[], production: boolean): LoadBalancerSpec {
    const raw = reader.object(value, "berth:loadBalancer");
    reader.knownKeys(raw, "berth:loadBalancer", LOAD_BALANCER_KEYS);
    const host = reader.string(raw.host, "berth:loadBalancer.host");
    if (host) {
        checkHostReference(reader, host, "berth:loadBalancer.host", hosts, "loadbalancer");
    }
    const httpPort = reader.integer(raw.httpPort, "berth:loadBalancer.httpPort", 80, PORT);
    const image = readImageReference(reader, raw.image, "berth:loadBalancer.image", "nginx:1.27-bookworm");
    // The policy pack's no-latest-pull, held by the program where production cannot lower it.
    if (production && image && isImageReference(image) && !isPinnedImageReference(image)) {
        reader.problem("berth:loadBalancer.image", `must name a version in a production stack: a tag other than latest (like nginx:1.27-bookworm) or a digest (got ${JSON.stringify(image)})`);
    }
    const httpsPort = reader.integer(raw.httpsPort, "berth:loadBalancer.httpsPort", 443, PORT);
    if (httpsPort === httpPort) {
        reader.problem("berth:loadBalancer.httpsPort", `must differ from berth:loadBalancer.httpPort (${httpPort}): nginx serves HTTP and HTTPS on two ports`);
    }
    return {
        host,
        httpPort,
        publicPort: reader.integer(raw.publicPort, "berth:loadBalancer.publicPort", httpPort, PORT),
        httpsPort,
        publicHttpsPort: reader.integer(raw.publicHttpsPort, "berth:loadBalancer.publicHttpsPort", httpsPort, PORT),
        image,
    };
}

function readImageReference(reader: ConfigReader, value: unknown, path: string, fallback: string): string {
    const image = reader.string(value, path, fallback);
    if (image && !isImageReference(image)) {
        reader.problem(path, `must be ${IMAGE_REFERENCE_RULE} (got ${JSON.stringify(image)})`);
    }
    return image;
}

function readApps(reader: ConfigReader, value: unknown, hosts: KnownHost[], production: boolean): AppSpec[] {
    const list = value === undefined ? [] : reader.array(value, "berth:apps");
    if (list.length === 0) {
        reader.problem("berth:apps", "must list at least one app");
    }
    const seen = new Set<string>();
    const domains = new Map<string, number>(); // domain -> index of the first app serving it
    return list.map((item, index) => {
        const path = `berth:apps[${index}]`;
        const app = readApp(reader, reader.object(item, path), path, hosts, production);
        if (seen.has(app.name)) {
            reader.problem(`${path}.name`, `duplicates app ${JSON.stringify(app.name)}; app names must be unique`);
        }
        seen.add(app.name);
        const domain = app.domain.toLowerCase();
        const first = domains.get(domain);
        if (domain && first !== undefined) {
            reader.problem(`${path}.domain`, `duplicates the domain of berth:apps[${first}] (${JSON.stringify(app.domain)}): nginx would send both apps' requests to one of them`);
        } else {
            domains.set(domain, index);
        }
        return app;
    });
}

/** Names whose host directory (`/srv/berth/<name>`) berth uses for itself. */
const RESERVED_APP_NAMES = ["nginx", "tls", "accessories"];

function readApp(reader: ConfigReader, raw: Record<string, unknown>, path: string, hosts: KnownHost[], production: boolean): AppSpec {
    reader.knownKeys(raw, path, APP_KEYS);
    const name = reader.string(raw.name, `${path}.name`);
    if (name && !NAME.test(name)) {
        reader.problem(`${path}.name`, `must be ${NAME_RULE} (got ${JSON.stringify(name)})`);
    } else if (RESERVED_APP_NAMES.includes(name)) {
        reader.problem(`${path}.name`, `must not be ${RESERVED_APP_NAMES.map((reserved) => JSON.stringify(reserved)).join(" or ")}: berth keeps nginx's own files, certificates and accessories' secrets in ${NGINX_DIRECTORY}, ${TLS_DIRECTORY} and ${ACCESSORIES_DIRECTORY}, beside the apps' directories`);
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
    } else if (production && !isVersionedTag(tag)) {
        reader.problem(`${path}.image.tag`, `must be a versioned tag in a production stack: ${VERSIONED_TAG_RULE}; ${JSON.stringify(tag)} is a name that moves, and a rollback needs a version to go back to`);
    }

    const wsgiModule = reader.string(raw.wsgiModule, `${path}.wsgiModule`, `${name.replace(/-/g, "_")}.wsgi:application`);
    if (!WSGI_MODULE.test(wsgiModule)) {
        reader.problem(`${path}.wsgiModule`, `must be a Python module path with an optional :callable (got ${JSON.stringify(wsgiModule)})`);
    }
    const release = reader.stringList(raw.release, `${path}.release`, ["migrate", "collectstatic"]);
    release.forEach((task, taskIndex) => {
        if (task && !RELEASE_TASK.test(task)) {
            reader.problem(`${path}.release[${taskIndex}]`, `must be an entrypoint command such as migrate, collectstatic or "manage clearsessions": a lowercase name, then words of letters, digits and -_.,:=/@%+ separated by single spaces (got ${JSON.stringify(task)})`);
        }
    });
    const env = reader.stringMap(raw.env, `${path}.env`);
    for (const key of Object.keys(env)) {
        if (!ENV_KEY.test(key)) {
            reader.problem(keyPath(`${path}.env`, key), ENV_KEY_RULE);
        } else if (production) {
            checkPlainSetting(reader, `${path}.env`, name, key, env[key]);
        }
    }
    const healthPath = reader.string(raw.healthPath, `${path}.healthPath`, "/healthz");
    if (healthPath && !isHealthPath(healthPath)) {
        reader.problem(`${path}.healthPath`, `must be ${HEALTH_PATH_RULE} (got ${JSON.stringify(healthPath)})`);
    }

    return {
        name,
        domain,
        image: { repository, tag },
        code: raw.code === undefined ? undefined : readCode(reader, raw.code, `${path}.code`),
        // Two ports: the old container keeps one while the new one starts on the other.
        webPort: reader.integer(raw.webPort, `${path}.webPort`, 0, { min: 1024, max: 65534 }) || missingPort(reader, raw.webPort, `${path}.webPort`),
        swap: reader.oneOf(raw.swap, `${path}.swap`, SWAP_MODES, "blue-green"),
        wsgiModule,
        hosts: readAppHosts(reader, raw.hosts, `${path}.hosts`, hosts),
        release,
        releaseWhen: reader.oneOf(raw.releaseWhen, `${path}.releaseWhen`, RELEASE_WHEN, "changed"),
        reload: reader.oneOf(raw.reload, `${path}.reload`, RELOAD_MODES, "touch"),
        processes: reader.integer(raw.processes, `${path}.processes`, 2, { min: 1, max: 64 }),
        threads: reader.integer(raw.threads, `${path}.threads`, 2, { min: 1, max: 64 }),
        healthPath,
        healthTimeoutSeconds: reader.integer(raw.healthTimeoutSeconds, `${path}.healthTimeoutSeconds`, 60, { min: 5, max: 600 }),
        stopGraceSeconds: reader.integer(raw.stopGraceSeconds, `${path}.stopGraceSeconds`, 30, { min: 0, max: 600 }),
        keepReleases: reader.integer(raw.keepReleases, `${path}.keepReleases`, 5, { min: 2, max: 100 }),
        env,
        memoryMb: reader.integer(raw.memoryMb, `${path}.memoryMb`, 512, { min: 64, max: 65536 }),
        workerConcurrency: reader.integer(raw.workerConcurrency, `${path}.workerConcurrency`, 2, { min: 1, max: 64 }),
        tls: readAppTls(reader, raw.tls, `${path}.tls`, production),
        accessories: readAppAccessories(reader, raw.accessories, `${path}.accessories`),
        ...readUser(reader, raw.user, `${path}.user`),
    };
}

/**
 * A production stack's plain settings hold no secret: plain config and the
 * state keep them in clear text, and `berth:secrets` is there for them. By
 * name (`*PASSWORD*`, ...) or by value (a URL with a password, a private
 * key, a known token format); the message never repeats the value.
 */
function checkPlainSetting(reader: ConfigReader, envPath: string, app: string, key: string, value: string): void {
    const credential = credentialIn(value);
    const reason = SECRET_SETTING_NAME.test(key) ? `is named like a secret (${SECRET_SETTING_NAME_RULE})` : credential ? `holds a credential (${credential})` : undefined;
    if (reason) {
        reader.problem(`${envPath}.${key}`, `${reason}: a production stack keeps secrets out of plain config and state: set it with ` +
            `\`pulumi config set --secret --path 'berth:secrets.${app}.${key}' ...\` and remove it from ${envPath}`);
    }
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
    const repository = reader.string(raw.repository, `${path}.repository`);
    const repositoryProblem = repository ? gitRepositoryProblem(repository) : undefined;
    if (repositoryProblem) {
        reader.problem(`${path}.repository`, repositoryProblem);
    }
    const allowedBranches = reader.stringList(raw.allowedBranches, `${path}.allowedBranches`, []).filter((branch, index) => {
        if (branch && !isGitRefName(branch)) {
            reader.problem(`${path}.allowedBranches[${index}]`, `must be ${GIT_BRANCH_RULE} (got ${JSON.stringify(branch)})`);
            return false;
        }
        return true;
    });
    const ref = reader.string(raw.ref, `${path}.ref`);
    if (ref && !isTagRef(ref) && !allowedBranches.includes(ref)) {
        const branches = allowedBranches.length > 0 ? `one of the allowed branches (${allowedBranches.join(", ")})` : "an allowed branch (none are listed in allowedBranches)";
        reader.problem(`${path}.ref`, `must be a tag (like v1.4.2 or tags/<name>) or ${branches} (got ${JSON.stringify(ref)})`);
    }
    return { repository, ref, allowedBranches };
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
function checkPortCollisions(reader: ConfigReader, apps: AppSpec[], accessories: AccessorySpec[], hosts: KnownHost[], loadBalancer: LoadBalancerSpec): void {
    const taken = new Map<string, string>(); // "host:port" -> owner
    for (const host of hosts) {
        taken.set(`${host.name}:${host.sshPort}`, "SSH");
    }
    // On DigitalOcean the load balancer's firewall opens httpPort to the internet: never SSH's port.
    const nginxOwner = taken.get(`${loadBalancer.host}:${loadBalancer.httpPort}`);
    if (loadBalancer.host && nginxOwner) {
        reader.problem("berth:loadBalancer.httpPort", `port ${loadBalancer.httpPort} on host ${JSON.stringify(loadBalancer.host)} is already used by ${nginxOwner}; nginx must listen on another port`);
    }
    taken.set(`${loadBalancer.host}:${loadBalancer.httpPort}`, "nginx");
    const httpsOwner = taken.get(`${loadBalancer.host}:${loadBalancer.httpsPort}`);
    if (loadBalancer.host && httpsOwner && apps.some((app) => app.tls.mode !== "off")) {
        reader.problem("berth:loadBalancer.httpsPort", `port ${loadBalancer.httpsPort} on host ${JSON.stringify(loadBalancer.host)} is already used by ${httpsOwner}; nginx must listen for HTTPS on another port`);
    }
    taken.set(`${loadBalancer.host}:${loadBalancer.httpsPort}`, "nginx (HTTPS)");
    apps.forEach((app, index) => {
        if (!app.webPort) {
            return;
        }
        for (const host of app.hosts.web) {
            for (const port of webPorts(app)) {
                const key = `${host}:${port}`;
                const owner = taken.get(key);
                if (owner) {
                    reader.problem(`berth:apps[${index}].webPort`, `port ${port} on host ${JSON.stringify(host)} is already used by ${owner}; an app's web containers use webPort and webPort + 1: give each app on a host its own pair`);
                    break;
                }
                taken.set(key, `app ${JSON.stringify(app.name)}`);
            }
        }
    });
    accessories.forEach((accessory, index) => {
        const key = `${accessory.host}:${accessory.port}`;
        const owner = taken.get(key);
        if (accessory.host && accessory.port && owner) {
            reader.problem(`berth:accessories[${index}].port`, `port ${accessory.port} on host ${JSON.stringify(accessory.host)} is already used by ${owner}; give the accessory another port`);
        }
        taken.set(key, `accessory ${JSON.stringify(accessory.name)}`);
    });
}

/**
 * The policy pack's no-public-ports, decided from config: web containers
 * publish their webPort on their host's private address, so in production
 * that address must be on a private network (only nginx faces the
 * internet). Droplets' addresses are their VPC's, so only listed hosts.
 */
function checkWebPortsArePrivate(reader: ConfigReader, rawHosts: unknown, hosts: HostSpec[], apps: AppSpec[]): void {
    const configured = Array.isArray(rawHosts) ? rawHosts : [];
    hosts.forEach((host, index) => {
        const webApps = apps.filter((app) => app.hosts.web.includes(host.name)).map((app) => app.name);
        if (webApps.length === 0 || !host.privateAddress || isPrivateAddress(host.privateAddress)) {
            return;
        }
        const item = configured[index];
        const defaulted = item !== null && typeof item === "object" && (item as Record<string, unknown>).privateAddress === undefined;
        reader.problem(`berth:hosts[${index}].privateAddress`, `must be an address on a private network in a production stack (${PRIVATE_ADDRESS_RULE}): ` +
            `the web containers of ${webApps.join(", ")} publish their webPort on it, and only nginx may face the internet ` +
            `(got ${JSON.stringify(host.privateAddress)}${defaulted ? ", the host's address: privateAddress is not set" : ""})`);
    });
}
