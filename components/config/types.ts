/** The validated shape of a berth stack's config, with every default applied. */

export const ROLES = ["web", "worker", "beat", "loadbalancer", "data"] as const;
export type Role = (typeof ROLES)[number];

export const RELOAD_MODES = ["touch", "chain"] as const;
export type ReloadMode = (typeof RELOAD_MODES)[number];

export interface HostSpec {
    /** Unique name, used in resource names and upstream comments. */
    name: string;
    /** Address berth reaches the host on over SSH. */
    address: string;
    /** Address the load balancer reaches the host's web containers on. Default: `address`. */
    privateAddress: string;
    /** Default 22. No two listed hosts share one address and port: they would be one Docker engine. */
    sshPort: number;
    /** A login name (lowercase letters, digits, `_`, `-`; at most 32). Default `root`. */
    sshUser: string;
    roles: Role[];
    /**
     * The host's public SSH host key (`ssh-ed25519 AAAA...`). Default: learned
     * at the first deploy and pinned in the stack (trust on first use).
     */
    hostKey?: string;
}

export interface ImageSpec {
    /** Repository, including the registry host when not Docker Hub. */
    repository: string;
    /** Required. In a production stack, a version or a commit hash: never a moving name such as `latest` or `main`. */
    tag: string;
}

export interface CodeSpec {
    /**
     * Git URL the hosts clone from: https, ssh, git, scp-like, file or an
     * absolute path. Never with credentials in it (they would sit in the
     * state): hosts authenticate with a deploy key or a credential helper.
     */
    repository: string;
    /** A tag, or one of `allowedBranches`. */
    ref: string;
    /** Branches that may be deployed by name (git ref names, never option-like). Default `[]`: tags only. */
    allowedBranches: string[];
}

export const RELEASE_WHEN = ["changed", "always"] as const;
export type ReleaseWhen = (typeof RELEASE_WHEN)[number];

export const SWAP_MODES = ["blue-green", "drain-first"] as const;
export type SwapMode = (typeof SWAP_MODES)[number];

export interface AppHostsSpec {
    web: string[];
    worker: string[];
    /** Zero or exactly one host: celery beat is a singleton. */
    beat: string[];
}

export interface AppSpec {
    name: string;
    /** nginx `server_name`. */
    domain: string;
    image: ImageSpec;
    /** When set, the code lives in a host volume checked out at `ref`, not in the image. */
    code?: CodeSpec;
    /**
     * The first of the two ports a web container publishes on each web
     * host's private address: a rollout starts the new container on the one
     * the old container does not use (`webPort` or `webPort + 1`).
     */
    webPort: number;
    /** How a web host swaps containers: `blue-green` (the new beside the old, capacity kept) or `drain-first` (one container at a time). Default `blue-green`. */
    swap: SwapMode;
    /** WSGI entry point. Default `<name>.wsgi:application`. */
    wsgiModule: string;
    hosts: AppHostsSpec;
    /** One-shot tasks run once per new tag or ref, before any web container is replaced. */
    release: string[];
    /**
     * `changed`: on a host where `migrate` or `collectstatic` last succeeded
     * for the same image, it runs again only when the new commit changes its
     * inputs (TASK_INPUTS); `always`: every release task with every new tag
     * or ref. Default `changed`.
     */
    releaseWhen: ReleaseWhen;
    /** `touch`: --touch-reload; `chain`: --touch-chain-reload with lazy-apps. Default `touch`. */
    reload: ReloadMode;
    processes: number;
    threads: number;
    /** HTTP path (plain URL characters, no `.`/`..` segments, optional query) that answers 2xx when the app and its database are fine. Default `/healthz`. */
    healthPath: string;
    /** How long a new web container may take to become healthy. Default 60. */
    healthTimeoutSeconds: number;
    /** How long a stopping container may finish in-flight work. Default 30. */
    stopGraceSeconds: number;
    /**
     * How many code releases (`releases/<ref>`) and image tags each host keeps
     * for rollback; older ones are pruned after a successful deploy, never the
     * deployed or the previous one. 2–100, default 5.
     */
    keepReleases: number;
    /** Plain settings, into the env file: environment variable names, any text without a NUL. Default `{}`. */
    env: Record<string, string>;
    /** Memory limit per container in MiB. Default 512. */
    memoryMb: number;
    /** Celery worker concurrency, given to worker containers as BERTH_WORKER_CONCURRENCY. Default 2. */
    workerConcurrency: number;
    /** HTTPS for `domain`: off, a certificate from the ACME CA (`berth:tls.acme`), or one the user provides. Default: `acme` in production, `off` otherwise. */
    tls: AppTlsSpec;
    /** The accessories the app connects to; their connection settings go into its env file as secrets. Default `[]`. */
    accessories: AppAccessoryUse[];
    /**
     * The numeric ids the app's containers run as (the image's non-root USER).
     * Default: unset, the image's own USER, which must then be root (berth
     * checks before the first container starts).
     */
    user?: { uid: number; gid: number };
}

/** How an app reaches one accessory: the accessory's name and the env file settings berth writes for it. */
export interface AppAccessoryUse {
    name: string;
    /** Setting name → the part of the connection it holds (`url`, `host`, ...). Default by type: postgres `{DATABASE_URL: url}`, redis `{REDIS_URL: url}`. */
    settings: Record<string, ConnectionPart>;
    /** Redis: the database number in the URL (0-15), so apps sharing one Redis keep their keys and celery queues apart. Default 0. */
    redisDatabase: number;
}

export type AppTlsSpec =
    | { mode: "off" }
    | { mode: "acme" }
    /** A certificate chain (PEM, leaf first) and the name of the `berth:secrets.<app>` entry holding its key (kept out of the env file). */
    | { mode: "provided"; certificate: string; keySecret: string };

export const ACCESSORY_TYPES = ["postgres", "redis", "other"] as const;
export type AccessoryType = (typeof ACCESSORY_TYPES)[number];

/** What an app's setting can hold of an accessory's connection. Which apply depends on the type (CONNECTION_PARTS_BY_TYPE). */
export const CONNECTION_PARTS = ["url", "host", "port", "user", "password", "database"] as const;
export type ConnectionPart = (typeof CONNECTION_PARTS)[number];
export const CONNECTION_PARTS_BY_TYPE: Record<AccessoryType, readonly ConnectionPart[]> = {
    postgres: CONNECTION_PARTS,
    redis: ["url", "host", "port", "password"],
    other: ["host", "port"],
};

/**
 * A long-lived service on a data host (Kamal's "accessory"): PostgreSQL,
 * Redis or any image. berth deploys it, never replaces it with an app, and
 * keeps its data volume when the stack is destroyed.
 */
export interface AccessorySpec {
    name: string;
    /** Default: from the image's name (`postgres…` → postgres, `redis…`/`valkey…` → redis), else `other`. */
    type: AccessoryType;
    /** `repository:tag` (or a digest): in production a version, never `latest`. */
    image: string;
    /** The data host it runs on (role `data`). */
    host: string;
    /** Port it is published on, on the host's private address only. Default 5432 (postgres), 6379 (redis); required for other. */
    port: number;
    /** Port it listens on inside the container. Default: the type's (5432, 6379), else `port`. */
    containerPort: number;
    /** The named Docker volume holding its data, kept by `pulumi destroy`. Default `berth-<name>-data`. */
    volume: string;
    /** Where the volume is mounted in the container. Default `/var/lib/postgresql/data` (postgres), `/data` (redis); required for other. */
    dataPath: string;
    /** PostgreSQL: the database created at first start and named in the apps' URLs. Default: the accessory's name. */
    database: string;
    /** PostgreSQL: the user (its password is `berth:secrets.<name>.PASSWORD`). Default: the accessory's name. */
    user: string;
    /** Plain environment for the container (no secrets: those are files under /run/secrets). Default `{}`. */
    env: Record<string, string>;
    /** The container's command, for `other` (postgres and redis get berth's). Default: the image's. */
    command: string[];
    /** Health check command for `other` (`CMD-SHELL` text). Default: the image's own HEALTHCHECK. postgres: pg_isready; redis: PING. */
    healthCheck?: string;
    /** Memory limit in MiB. Default 1024. */
    memoryMb: number;
    /** How long a stopping accessory may take to shut down cleanly. Default 60. */
    stopGraceSeconds: number;
    /** PostgreSQL: logical backups on the data host (`berth backup` works without a schedule). Default: daily, keep 7, no upload. */
    backups?: BackupSpec;
}

/** Scheduled `pg_dump` backups of a PostgreSQL accessory. */
export interface BackupSpec {
    /** Cron schedule (5 fields, the host's time zone, UTC on droplets); `""` for none (manual `berth backup` only). Default: daily at 03:MM, MM from the name. */
    schedule: string;
    /** How many backups the data host keeps (the newest). Default 7. */
    keep: number;
    /** An S3-compatible bucket each backup is copied to (DigitalOcean Spaces). Credentials: `berth:secrets.<accessory>.BACKUP_ACCESS_KEY_ID` / `BACKUP_SECRET_ACCESS_KEY`. */
    bucket?: BackupBucketSpec;
}

export interface BackupBucketSpec {
    /** `https://fra1.digitaloceanspaces.com`; `http://` only outside production. */
    endpoint: string;
    name: string;
    /** Default `us-east-1` (what Spaces and most S3-compatible servers accept). */
    region: string;
    /** Key prefix. Default `<accessory>/`. */
    prefix: string;
    /** The rclone image that uploads (rclone as entrypoint). Default `rclone/rclone:1.68.2`. */
    clientImage: string;
}

/** Stack-wide HTTPS settings (`berth:tls`). */
export interface TlsSpec {
    acme: AcmeSpec;
    /** Renew a certificate from the ACME CA when fewer days than this are left. 1–89, default 30. */
    renewDaysBefore: number;
    /** `Strict-Transport-Security` max-age in seconds on every HTTPS site; 0 (default): no HSTS. */
    hstsMaxAgeSeconds: number;
    /** OCSP stapling, for a CA that still runs OCSP (Let's Encrypt ended it in 2025). Default false. */
    ocspStapling: boolean;
}

export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING_DIRECTORY = "https://acme-staging-v02.api.letsencrypt.org/directory";
export const DEFAULT_ACME_CLIENT_IMAGE = "goacme/lego:v4.21.0";

export interface AcmeSpec {
    /** RFC 8555 directory URL (https). `letsencrypt` and `letsencrypt-staging` name Let's Encrypt's. Default Let's Encrypt. */
    directory: string;
    /** The ACME account's e-mail (expiry notices). Required when any app uses the ACME CA. */
    email: string;
    /**
     * A PEM file (on the deploying machine) of the CA that signed the ACME
     * directory's own HTTPS certificate, for a private CA (the lab's Pebble).
     * Default: none, the client's system roots.
     */
    caCertificatesFile?: string;
    /** The ACME client's image (lego's CLI as its entrypoint). Default `goacme/lego:v4.21.0`. */
    clientImage: string;
}

/** The two host ports an app's web containers take turns on: the new one starts on the port the old one does not use. */
export function webPorts(app: Pick<AppSpec, "webPort">): [number, number] {
    return [app.webPort, app.webPort + 1];
}

export interface LoadBalancerSpec {
    /** Name of the host that runs nginx. */
    host: string;
    /** Port nginx listens on, on its host. Default 80. */
    httpPort: number;
    /** Port users reach nginx on, when something forwards to it (the lab: 8080). Default `httpPort`. */
    publicPort: number;
    /** nginx image, `repository[:tag][@sha256:digest]`. Default `nginx:1.27-bookworm`. */
    image: string;
    /** Port nginx listens on for HTTPS, on its host, when any app has TLS. Default 443. */
    httpsPort: number;
    /** Port users reach HTTPS on (the lab: 8443): HTTP redirects there. Default `httpsPort`. */
    publicHttpsPort: number;
}

/**
 * Per app, its secret settings (`berth:secrets`): merged into the app's env
 * file, with the same rules for names and values as `env`. Kept out of
 * BerthSpec so no plain value of it is ever passed around with the spec.
 */
export type AppSecrets = Record<string, Record<string, string>>;

export interface BerthSpec {
    /** Marks a production stack: only versioned image tags (no `latest`, `main`, ...). Default false. */
    production: boolean;
    /** Hosts listed by address (`berth:hosts`). Droplets berth creates are in `digitalocean.droplets`. */
    hosts: HostSpec[];
    loadBalancer: LoadBalancerSpec;
    apps: AppSpec[];
    /** Data services on data hosts (`berth:accessories`). Default `[]`. */
    accessories: AccessorySpec[];
    tls: TlsSpec;
    /** Set when the stack creates its hosts on DigitalOcean (`berth:digitalocean`). */
    digitalocean?: DigitalOceanSpec;
}

export const REGISTRY_TIERS = ["starter", "basic", "professional"] as const;
export type RegistryTier = (typeof REGISTRY_TIERS)[number];

/** A host berth creates as a droplet: its name is `<group>-<index>`, stable per index. */
export interface DropletHostSpec {
    /** `<group>-<index>`, e.g. `web-2`: apps and `berth:loadBalancer.host` name it. */
    name: string;
    /** The droplet group it belongs to. */
    group: string;
    /** 1-based position in its group. */
    index: number;
    size: string;
    image: string;
    roles: Role[];
    /** Always 22 and `root`: cloud-init hardens sshd for key-only root logins. */
    sshPort: number;
    sshUser: string;
}

/** One group of identical droplets: `count` hosts named `<name>-1` ... `<name>-<count>`. */
export interface DropletGroupSpec {
    name: string;
    count: number;
    /** Droplet size slug, e.g. `s-1vcpu-2gb`. */
    size: string;
    /** Image slug. Default: `berth:digitalocean.image`. */
    image: string;
    roles: Role[];
    /** Extra TCP ports the group's hosts accept from inside the VPC (a data host: 5432, 6379). Default `[]`. */
    privatePorts: number[];
}

export interface DigitalOceanSpec {
    /** Region slug for the VPC, the droplets and the reserved IP, e.g. `fra1`. */
    region: string;
    /** The VPC's private IPv4 range (RFC 1918), e.g. `10.10.0.0/20`. */
    vpcIpRange: string;
    /** OpenSSH public key installed for root on every droplet; its private half is `berth:sshKeyPath`. */
    sshPublicKey: string;
    /** Networks allowed to reach SSH (22) on every droplet: where `pulumi up` runs from. */
    adminCidrs: string[];
    /** Default image slug for every group. Default `debian-12-x64`. */
    image: string;
    groups: DropletGroupSpec[];
    /** Every droplet host, in group order then index order. */
    droplets: DropletHostSpec[];
    /** A reserved IP on the load balancer droplet (survives its replacement). Default true. */
    reservedIp: boolean;
    /** DigitalOcean's monitoring agent on every droplet. Default true. */
    monitoring: boolean;
    /** Install security updates automatically (unattended-upgrades, Docker excluded). Default true. */
    unattendedUpgrades: boolean;
    /** An A record per app in a zone hosted on DigitalOcean. Default: none. */
    dns?: { zone: string; ttl: number };
    /** A DigitalOcean Container Registry every host can pull from. Default: none. */
    registry?: { name: string; tier: RegistryTier; region?: string; create: boolean };
    /** Managed database clusters in the VPC, named by apps like accessories. Default none. */
    databases: ManagedDatabaseSpec[];
}

export const MANAGED_DATABASE_ENGINES = ["pg", "valkey"] as const;
export type ManagedDatabaseEngine = (typeof MANAGED_DATABASE_ENGINES)[number];

/** A DigitalOcean managed database cluster (`berth:digitalocean.databases[]`). */
export interface ManagedDatabaseSpec {
    /** Unique across apps, accessories and databases; apps name it in `berth:apps[].accessories`. */
    name: string;
    /** `pg` (PostgreSQL: a database and a user per app) or `valkey` (Redis-compatible). */
    engine: ManagedDatabaseEngine;
    /** Engine version: `16` (pg), `8` (valkey). */
    version: string;
    /** Node size slug. Default `db-s-1vcpu-1gb`. */
    size: string;
    /** 1-3 nodes (more are standbys). Default 1. */
    nodeCount: number;
}
