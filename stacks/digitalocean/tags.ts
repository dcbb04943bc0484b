import { Role } from "../../components/config/types";

/**
 * DigitalOcean tags of a berth stack's droplets. Firewalls select droplets by
 * tag, so a new droplet is covered the moment it exists and adding one never
 * edits a firewall. Tags are account-wide: every tag but `berth` carries the
 * stack's name, so two stacks in one account never share firewall rules.
 */
export interface StackTags {
    /** On every berth droplet of every stack: `berth`. */
    berth: string;
    /** On every droplet of this stack: `berth-<stack>`. */
    stack: string;
    /** Per role: `berth-<stack>-<role>`. */
    role(role: Role): string;
    /** Per droplet group: `berth-<stack>-group-<group>`. */
    group(group: string): string;
}

export function stackTags(stackName: string): StackTags {
    // Tags allow letters, digits, ':', '-' and '_'; stack names may also hold '.'.
    const stack = `berth-${stackName.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`;
    return {
        berth: "berth",
        stack,
        role: (role) => `${stack}-${role}`,
        group: (group) => `${stack}-group-${group}`,
    };
}

/** A droplet's tags, sorted: its stack, each of its roles and its group. */
export function dropletTags(tags: StackTags, group: string, roles: Role[]): string[] {
    return [tags.berth, tags.stack, tags.group(group), ...roles.map((role) => tags.role(role))].sort();
}
