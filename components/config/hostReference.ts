import { ConfigReader } from "./reader";
import { HostSpec, Role } from "./types";

/** What references to a host need to know: listed (`berth:hosts`) or a droplet berth creates. */
export type KnownHost = Pick<HostSpec, "name" | "roles" | "sshPort">;

/** A host named by an app, an accessory or the load balancer must exist and carry the role it is used for. */
export function checkHostReference(reader: ConfigReader, name: string, path: string, hosts: KnownHost[], role: Role): void {
    const host = hosts.find((candidate) => candidate.name === name);
    if (!host) {
        const known = hosts.map((candidate) => candidate.name).join(", ") || "none";
        const where = hosts.some((candidate) => "group" in candidate) ? "berth:hosts or berth:digitalocean.droplets" : "berth:hosts";
        reader.problem(path, `names no host in ${where} (known: ${known})`);
    } else if (!host.roles.includes(role)) {
        reader.problem(path, `host ${JSON.stringify(name)} lacks the role ${JSON.stringify(role)} (it has: ${host.roles.join(", ")})`);
    }
}
