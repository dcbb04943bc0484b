import {
    CIDR_RULE, DIGITALOCEAN_REGION, DIGITALOCEAN_SLUG, isAddress, isPrivateIpv4Network, NAME, NAME_RULE, parseCidr, SSH_PUBLIC_KEY,
} from "./patterns";
import { coversWholeFamily, IpVersion, NetworkRange } from "./networks";
import { ConfigReader } from "./reader";
import {
    AppSpec, DigitalOceanSpec, DropletGroupSpec, DropletHostSpec, LoadBalancerSpec, MANAGED_DATABASE_ENGINES, ManagedDatabaseEngine, ManagedDatabaseSpec, REGISTRY_TIERS, Role, ROLES,
} from "./types";

const ROOT = "berth:digitalocean";
const KEYS = ["region", "vpcIpRange", "sshPublicKey", "adminCidrs", "image", "droplets", "reservedIp", "monitoring", "unattendedUpgrades", "dns", "registry", "databases"] as const;
const DATABASE_KEYS = ["name", "engine", "version", "size", "nodeCount"] as const;
const DEFAULT_DATABASE_VERSIONS: Record<ManagedDatabaseEngine, string> = { pg: "16", valkey: "8" };
const GROUP_KEYS = ["name", "count", "size", "image", "roles", "privatePorts"] as const;
const DEFAULT_IMAGE = "debian-12-x64";
/** The largest group: droplet names stay short and a typo (count: 200) does not bill a fleet. */
const MAX_GROUP_COUNT = 50;

/**
 * Reads `berth:digitalocean`: where and how berth creates its droplets. Every
 * problem goes to the reader with its config path; the result is usable
 * (with harmless fallbacks) even when there are problems, so the rest of
 * the config is still checked in the same run.
 */
export function readDigitalOcean(reader: ConfigReader, value: unknown): DigitalOceanSpec {
    const raw = reader.object(value, ROOT);
    reader.knownKeys(raw, ROOT, KEYS);

    const region = reader.string(raw.region, `${ROOT}.region`);
    if (region && !DIGITALOCEAN_REGION.test(region)) {
        reader.problem(`${ROOT}.region`, `must be a DigitalOcean region slug like fra1 or nyc3 (got ${JSON.stringify(region)})`);
    }
    const vpcIpRange = readVpcIpRange(reader, raw.vpcIpRange);
    const sshPublicKey = reader.string(raw.sshPublicKey, `${ROOT}.sshPublicKey`).trim();
    if (sshPublicKey && !SSH_PUBLIC_KEY.test(sshPublicKey)) {
        reader.problem(`${ROOT}.sshPublicKey`, "must be one OpenSSH public key line like \"ssh-ed25519 AAAA... deploy@example\" (the .pub file of berth:sshKeyPath), its comment only letters, digits, spaces and @._+:=,/-");
    }
    const adminCidrs = readAdminCidrs(reader, raw.adminCidrs);
    const image = reader.string(raw.image, `${ROOT}.image`, DEFAULT_IMAGE);
    if (!DIGITALOCEAN_SLUG.test(image)) {
        reader.problem(`${ROOT}.image`, `must be a DigitalOcean image slug like debian-12-x64 (got ${JSON.stringify(image)})`);
    }
    const groups = readGroups(reader, raw.droplets, image);

    return {
        region,
        vpcIpRange,
        sshPublicKey,
        adminCidrs,
        image,
        groups,
        droplets: groups.flatMap(dropletHosts),
        reservedIp: reader.boolean(raw.reservedIp, `${ROOT}.reservedIp`, true),
        monitoring: reader.boolean(raw.monitoring, `${ROOT}.monitoring`, true),
        unattendedUpgrades: reader.boolean(raw.unattendedUpgrades, `${ROOT}.unattendedUpgrades`, true),
        dns: raw.dns === undefined ? undefined : readDns(reader, raw.dns),
        registry: raw.registry === undefined ? undefined : readRegistry(reader, raw.registry),
        databases: readDatabases(reader, raw.databases),
    };
}

/** `databases[]`: managed clusters, each with a unique name, an engine berth connects apps to, a version and a size. */
function readDatabases(reader: ConfigReader, value: unknown): ManagedDatabaseSpec[] {
    const list = value === undefined ? [] : reader.array(value, `${ROOT}.databases`);
    const seen = new Set<string>();
    return list.map((item, index) => {
        const path = `${ROOT}.databases[${index}]`;
        const raw = reader.object(item, path);
        reader.knownKeys(raw, path, DATABASE_KEYS);
        const name = reader.string(raw.name, `${path}.name`);
        if (name && !NAME.test(name)) {
            reader.problem(`${path}.name`, `must be ${NAME_RULE} (got ${JSON.stringify(name)})`);
        } else if (seen.has(name)) {
            reader.problem(`${path}.name`, `duplicates database ${JSON.stringify(name)}`);
        }
        seen.add(name);
        const engine = reader.oneOf(raw.engine, `${path}.engine`, MANAGED_DATABASE_ENGINES, "pg");
        const version = reader.string(raw.version, `${path}.version`, DEFAULT_DATABASE_VERSIONS[engine]);
        if (!/^[0-9]{1,3}(\.[0-9]{1,3})?$/.test(version)) {
            reader.problem(`${path}.version`, `must be a major version like ${DEFAULT_DATABASE_VERSIONS[engine]} (got ${JSON.stringify(version)})`);
        }
        const size = reader.string(raw.size, `${path}.size`, "db-s-1vcpu-1gb");
        if (!DIGITALOCEAN_SLUG.test(size)) {
            reader.problem(`${path}.size`, `must be a DigitalOcean database size slug like db-s-1vcpu-1gb (got ${JSON.stringify(size)})`);
        }
        return { name, engine, version, size, nodeCount: reader.integer(raw.nodeCount, `${path}.nodeCount`, 1, { min: 1, max: 3 }) };
    });
}

/** The hosts of a group, named `<group>-<index>` so adding one never renames another. */
export function dropletHosts(group: DropletGroupSpec): DropletHostSpec[] {
    return Array.from({ length: group.count }, (_, position) => ({
        name: `${group.name}-${position + 1}`,
        group: group.name,
        index: position + 1,
        size: group.size,
        image: group.image,
        roles: group.roles,
        sshPort: 22,
        sshUser: "root",
    }));
}

function readVpcIpRange(reader: ConfigReader, value: unknown): string {
    const path = `${ROOT}.vpcIpRange`;
    const range = reader.string(value, path);
    if (!range) {
        return range;
    }
    const cidr = parseCidr(range);
    if (!cidr || cidr.version !== 4 || !isPrivateIpv4Network(cidr.address) || cidr.prefix < 16 || cidr.prefix > 28) {
        reader.problem(path, `must be a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) from /16 to /28, like 10.10.0.0/20 (got ${JSON.stringify(range)})`);
    }
    return range;
}

function readAdminCidrs(reader: ConfigReader, value: unknown): string[] {
    const path = `${ROOT}.adminCidrs`;
    if (value === undefined) {
        reader.problem(path, "must list the networks that may reach SSH on the droplets (where `pulumi up` runs: an office, a CI runner), like [203.0.113.0/24]");
        return [];
    }
    const cidrs = reader.stringList(value, path);
    if (Array.isArray(value) && cidrs.length === 0) {
        reader.problem(path, "must list at least one network: berth deploys over SSH");
    }
    const ranges: { cidr: string; range: NetworkRange }[] = [];
    let wholeInternetListed = false;
    cidrs.forEach((cidr, index) => {
        if (!cidr) {
            return;
        }
        const parsed = parseCidr(cidr);
        if (!parsed) {
            reader.problem(`${path}[${index}]`, `must be ${CIDR_RULE} (got ${JSON.stringify(cidr)})`);
        } else if (parsed.prefix === 0) {
            wholeInternetListed = true;
            reader.problem(`${path}[${index}]`, `must not open SSH to the whole internet (${cidr}): every droplet takes root logins with berth's key; list only the networks you deploy from`);
        } else {
            ranges.push({ cidr, range: parsed.range });
        }
    });
    // Pieces can open what one /0 would: judge the union, per family.
    for (const [version, family] of [[4, "IPv4"], [6, "IPv6"]] as [IpVersion, string][]) {
        const ofFamily = ranges.filter(({ range }) => range.version === version);
        if (!wholeInternetListed && coversWholeFamily(ofFamily.map(({ range }) => range), version)) {
            const listed = ofFamily.map(({ cidr }) => cidr).join(", ");
            reader.problem(path, `must not open SSH to the whole internet: together ${listed} cover every ${family} address; every droplet takes root logins with berth's key, so list only the networks you deploy from`);
        }
    }
    return cidrs;
}

function readGroups(reader: ConfigReader, value: unknown, defaultImage: string): DropletGroupSpec[] {
    const path = `${ROOT}.droplets`;
    const list = value === undefined ? [] : reader.array(value, path);
    if (list.length === 0) {
        reader.problem(path, "must list at least one droplet group, like {name: web, count: 2, size: s-1vcpu-2gb, roles: [web]}");
    }
    const seen = new Set<string>();
    let loadBalancers = 0;
    const groups = list.map((item, index) => {
        const groupPath = `${path}[${index}]`;
        const raw = reader.object(item, groupPath);
        reader.knownKeys(raw, groupPath, GROUP_KEYS);
        const name = reader.string(raw.name, `${groupPath}.name`);
        // Host names are `<name>-<index>`: the group name leaves room for the index.
        if (name && (!NAME.test(name) || name.length > 36)) {
            reader.problem(`${groupPath}.name`, `must be ${NAME_RULE}, at most 36 so host names (<name>-<index>) fit (got ${JSON.stringify(name)})`);
        }
        if (seen.has(name)) {
            reader.problem(`${groupPath}.name`, `duplicates droplet group ${JSON.stringify(name)}; group names must be unique`);
        }
        seen.add(name);
        const count = reader.integer(raw.count, `${groupPath}.count`, 1, { min: 0, max: MAX_GROUP_COUNT });
        const size = reader.string(raw.size, `${groupPath}.size`);
        if (size && !DIGITALOCEAN_SLUG.test(size)) {
            reader.problem(`${groupPath}.size`, `must be a droplet size slug like s-1vcpu-2gb (got ${JSON.stringify(size)})`);
        }
        const image = reader.string(raw.image, `${groupPath}.image`, defaultImage);
        if (!DIGITALOCEAN_SLUG.test(image)) {
            reader.problem(`${groupPath}.image`, `must be a DigitalOcean image slug like debian-12-x64 (got ${JSON.stringify(image)})`);
        }
        const roles = reader.stringList(raw.roles, `${groupPath}.roles`);
        if (raw.roles !== undefined && roles.length === 0) {
            reader.problem(`${groupPath}.roles`, `must list at least one role of ${ROLES.join(", ")}`);
        }
        roles.forEach((role, roleIndex) => {
            if (!(ROLES as readonly string[]).includes(role)) {
                reader.problem(`${groupPath}.roles[${roleIndex}]`, `must be one of ${ROLES.join(", ")} (got ${JSON.stringify(role)})`);
            }
        });
        if (roles.includes("loadbalancer")) {
            loadBalancers += count;
            if (count !== 1) {
                reader.problem(`${groupPath}.count`, `must be 1: the group has the role loadbalancer and berth runs exactly one nginx host (got ${count})`);
            }
        }
        const privatePorts = readPorts(reader, raw.privatePorts, `${groupPath}.privatePorts`);
        return { name, count, size, image, roles: roles as Role[], privatePorts };
    });
    if (list.length > 0 && loadBalancers === 0) {
        reader.problem(path, "must have one group with the role loadbalancer and count 1: nginx runs there, behind the firewall's only public web ports");
    }
    return groups;
}

function readPorts(reader: ConfigReader, value: unknown, path: string): number[] {
    if (value === undefined) {
        return [];
    }
    return reader.array(value, path).map((item, index) => reader.integer(item, `${path}[${index}]`, 0, { min: 1, max: 65535 }));
}

function readDns(reader: ConfigReader, value: unknown): { zone: string; ttl: number } {
    const path = `${ROOT}.dns`;
    const raw = reader.object(value, path);
    reader.knownKeys(raw, path, ["zone", "ttl"]);
    const zone = reader.string(raw.zone, `${path}.zone`).replace(/\.$/, "");
    if (zone && (!isAddress(zone) || !zone.includes(".") || /^[\d.]+$/.test(zone))) {
        reader.problem(`${path}.zone`, `must be a domain hosted on DigitalOcean, like example.com (got ${JSON.stringify(zone)})`);
    }
    return { zone, ttl: reader.integer(raw.ttl, `${path}.ttl`, 300, { min: 30, max: 86400 }) };
}

function readRegistry(reader: ConfigReader, value: unknown): NonNullable<DigitalOceanSpec["registry"]> {
    const path = `${ROOT}.registry`;
    const raw = reader.object(value, path);
    reader.knownKeys(raw, path, ["name", "tier", "region", "create"]);
    const name = reader.string(raw.name, `${path}.name`);
    if (name && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
        reader.problem(`${path}.name`, `must be lowercase letters, digits and '-', at most 63 characters (got ${JSON.stringify(name)})`);
    }
    const region = raw.region === undefined ? undefined : reader.string(raw.region, `${path}.region`);
    if (region && !DIGITALOCEAN_REGION.test(region)) {
        reader.problem(`${path}.region`, `must be a DigitalOcean region slug like fra1 (got ${JSON.stringify(region)})`);
    }
    return {
        name,
        tier: reader.oneOf(raw.tier, `${path}.tier`, REGISTRY_TIERS, "basic"),
        ...(region === undefined ? {} : { region }),
        create: reader.boolean(raw.create, `${path}.create`, true),
    };
}

/** The record name of an app's domain inside a zone: `@` for the apex. */
export function recordName(domain: string, zone: string): string | undefined {
    if (domain === zone) {
        return "@";
    }
    return domain.endsWith(`.${zone}`) ? domain.slice(0, -zone.length - 1) : undefined;
}

/** Where the DigitalOcean settings meet the rest of the config: the load balancer, the apps' domains and images. */
export function checkDigitalOceanReferences(reader: ConfigReader, spec: DigitalOceanSpec, apps: AppSpec[], loadBalancer: LoadBalancerSpec): void {
    const lbDroplet = spec.droplets.find((droplet) => droplet.name === loadBalancer.host);
    if (loadBalancer.host && !lbDroplet) {
        reader.problem("berth:loadBalancer.host", `must name the droplet of the loadbalancer group when berth:digitalocean is set (droplets: ${spec.droplets.map((droplet) => droplet.name).join(", ") || "none"})`);
    }
    apps.forEach((app, index) => {
        if (spec.dns && spec.dns.zone && app.domain && recordName(app.domain, spec.dns.zone) === undefined) {
            reader.problem(`berth:apps[${index}].domain`, `must be inside the DNS zone ${spec.dns.zone} (berth:digitalocean.dns.zone) to get its A record (got ${JSON.stringify(app.domain)})`);
        }
        const match = /^registry\.digitalocean\.com\/([^/]+)\//.exec(app.image.repository);
        if (spec.registry && match && spec.registry.name && match[1] !== spec.registry.name) {
            reader.problem(`berth:apps[${index}].image.repository`, `is in the registry ${JSON.stringify(match[1])}, but the hosts log in to ${JSON.stringify(spec.registry.name)} (berth:digitalocean.registry.name; an account has one registry)`);
        }
    });
}
