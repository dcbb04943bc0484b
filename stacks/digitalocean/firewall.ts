import { AccessorySpec, AppSpec, DigitalOceanSpec, LoadBalancerSpec, webPorts as appWebPorts } from "../../components/config/types";
import { StackTags } from "./tags";

/** Every address, for the few ports that must be public. */
export const INTERNET = ["0.0.0.0/0", "::/0"];

export interface InboundRule {
    protocol: "tcp" | "udp" | "icmp";
    /** A port or a range `low-high`; absent for icmp. */
    portRange?: string;
    sourceAddresses: string[];
}

/** One DigitalOcean firewall: rules for the droplets carrying `tag`. */
export interface FirewallPlan {
    /** Suffix of the resource and firewall name: `ssh`, `web`, `loadbalancer`, `group-<name>`. */
    name: string;
    tag: string;
    inbound: InboundRule[];
    /** Outbound rules; DigitalOcean drops any traffic no firewall of the droplet allows. */
    outbound: { protocol: "tcp" | "udp" | "icmp"; portRange?: string; destinationAddresses: string[] }[];
}

/**
 * The firewalls of a berth stack. A droplet in several firewalls gets the
 * union of their rules, so each firewall states one reason:
 * - `hosts`: every droplet takes SSH (22) only from the admin networks, ping from the VPC, and may go out anywhere;
 * - `web`: web hosts take the apps' web ports, only from the VPC (nginx reaches them on private addresses);
 * - `loadbalancer`: nginx's host takes HTTP and HTTPS from the internet: the only public web ports;
 * - `accessories`: data hosts take the ports of the accessories on droplets (berth:accessories), only from the VPC;
 * - `group-<name>`: a group's `privatePorts` (a database, a broker), only from the VPC.
 */
export function planFirewalls(spec: DigitalOceanSpec, apps: AppSpec[], loadBalancer: LoadBalancerSpec, tags: StackTags, accessories: AccessorySpec[] = []): FirewallPlan[] {
    const vpc = [spec.vpcIpRange];
    const firewalls: FirewallPlan[] = [
        {
            name: "hosts",
            tag: tags.stack,
            inbound: [
                { protocol: "tcp", portRange: "22", sourceAddresses: [...spec.adminCidrs] },
                { protocol: "icmp", sourceAddresses: vpc },
            ],
            outbound: [
                { protocol: "tcp", portRange: "1-65535", destinationAddresses: INTERNET },
                { protocol: "udp", portRange: "1-65535", destinationAddresses: INTERNET },
                { protocol: "icmp", destinationAddresses: INTERNET },
            ],
        },
    ];
    // Both ports of each app: a rollout starts the new web container on the one the old does not use.
    const webPorts = uniqueSorted(apps.flatMap((app) => appWebPorts(app)));
    if (webPorts.length > 0) {
        firewalls.push({ name: "web", tag: tags.role("web"), inbound: webPorts.map((port) => ({ protocol: "tcp", portRange: String(port), sourceAddresses: vpc })), outbound: [] });
    }
    const publicPorts = uniqueSorted([80, 443, loadBalancer.httpPort]);
    firewalls.push({
        name: "loadbalancer",
        tag: tags.role("loadbalancer"),
        inbound: publicPorts.map((port) => ({ protocol: "tcp", portRange: String(port), sourceAddresses: INTERNET })),
        outbound: [],
    });
    const droplets = new Set(spec.droplets.map((droplet) => droplet.name));
    const accessoryPorts = uniqueSorted(accessories.filter((accessory) => droplets.has(accessory.host)).map((accessory) => accessory.port));
    if (accessoryPorts.length > 0) {
        firewalls.push({ name: "accessories", tag: tags.role("data"), inbound: accessoryPorts.map((port) => ({ protocol: "tcp", portRange: String(port), sourceAddresses: vpc })), outbound: [] });
    }
    for (const group of spec.groups) {
        const ports = uniqueSorted(group.privatePorts);
        if (ports.length > 0) {
            firewalls.push({ name: `group-${group.name}`, tag: tags.group(group.name), inbound: ports.map((port) => ({ protocol: "tcp", portRange: String(port), sourceAddresses: vpc })), outbound: [] });
        }
    }
    return firewalls;
}

function uniqueSorted(numbers: number[]): number[] {
    return [...new Set(numbers)].sort((left, right) => left - right);
}
