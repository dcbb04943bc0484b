import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import { BerthOutputs, releaseSummary, uptimeTargets } from "./targets";

/**
 * Reads a berth stack through a StackReference and creates one DigitalOcean
 * uptime check per app URL and per host (and an e-mail alert each, when an
 * address is given).
 */
export function watchBerthStack(berthStack: string, alertEmail?: string) {
    const berth = new pulumi.StackReference("berth", { name: berthStack });
    const outputs = pulumi
        .all([berth.requireOutput("apps"), berth.requireOutput("hosts"), berth.requireOutput("loadBalancer")])
        .apply(([apps, hosts, loadBalancer]) => ({ apps, hosts, loadBalancer }) as BerthOutputs);

    // The set of checks depends on the berth stack's outputs, known at preview time for a
    // deployed stack; creating resources inside apply is the documented way to do that.
    const checks = outputs.apply((values) =>
        uptimeTargets(values).map((target) => {
            const check = new digitalocean.UptimeCheck(target.name, { name: `berth-${target.name}`, type: target.type, target: target.target });
            if (alertEmail) {
                new digitalocean.UptimeAlert(`${target.name}-down`, {
                    checkId: check.id,
                    name: `berth ${target.name} is down`,
                    type: "down",
                    period: "2m",
                    notifications: [{ emails: [alertEmail] }],
                });
            }
            return { name: target.name, type: target.type, target: target.target };
        }),
    );
    return { checks, summary: outputs.apply(releaseSummary) };
}
