import { validateConfig } from "../../../components/config";
import { problemsOf } from "../../support/configProblems";
import { digitalOceanConfig } from "../../support/digitalOceanConfig";

describe("berth:digitalocean", () => {
    it("derives hosts named per index from the droplet groups, with every default", () => {
        const spec = validateConfig(digitalOceanConfig({ web: 3 }));
        expect(spec.hosts).toEqual([]);
        expect(spec.digitalocean!.droplets.map((droplet) => [droplet.name, droplet.group, droplet.index, droplet.roles])).toEqual([
            ["web-1", "web", 1, ["web"]],
            ["web-2", "web", 2, ["web"]],
            ["web-3", "web", 3, ["web"]],
            ["worker-1", "worker", 1, ["worker", "beat"]],
            ["lb-1", "lb", 1, ["loadbalancer"]],
        ]);
        expect(spec.digitalocean).toMatchObject({
            region: "fra1", vpcIpRange: "10.10.0.0/20", image: "debian-12-x64", reservedIp: true, monitoring: true, unattendedUpgrades: true,
        });
        expect(spec.digitalocean!.droplets[0]).toMatchObject({ size: "s-1vcpu-2gb", image: "debian-12-x64", sshPort: 22, sshUser: "root" });
        expect(spec.digitalocean!.dns).toBeUndefined();
        expect(spec.digitalocean!.registry).toBeUndefined();
    });

    it("leaves a stack without it exactly as before", () => {
        const spec = validateConfig({
            hosts: [{ name: "web-1", address: "10.0.0.1", roles: ["web", "loadbalancer"] }],
            loadBalancer: { host: "web-1" },
            apps: [{ name: "a", domain: "a.localhost", image: { repository: "r/a", tag: "v1" }, webPort: 8001, hosts: { web: ["web-1"] } }],
        });
        expect("digitalocean" in spec).toBe(false);
    });

    it("reads dns and registry with their defaults", () => {
        const spec = validateConfig(digitalOceanConfig({ digitalocean: { dns: { zone: "example.com" }, registry: { name: "berth" } } }));
        expect(spec.digitalocean!.dns).toEqual({ zone: "example.com", ttl: 300 });
        expect(spec.digitalocean!.registry).toEqual({ name: "berth", tier: "basic", create: true });
    });

    it("refuses SSH open to the world, and says why", () => {
        expect(problemsOf(digitalOceanConfig({ digitalocean: { adminCidrs: ["0.0.0.0/0", "::/0", "198.51.100.7/32"] } }))).toEqual([
            "berth:digitalocean.adminCidrs[0]: must not open SSH to the whole internet (0.0.0.0/0): every droplet takes root logins with berth's key; list only the networks you deploy from",
            "berth:digitalocean.adminCidrs[1]: must not open SSH to the whole internet (::/0): every droplet takes root logins with berth's key; list only the networks you deploy from",
        ]);
    });

    it("refuses admin networks that only together cover the whole internet, IPv4 or IPv6", () => {
        const refusal = (cidrs: string, family: string) =>
            `berth:digitalocean.adminCidrs: must not open SSH to the whole internet: together ${cidrs} cover every ${family} address; every droplet takes root logins with berth's key, so list only the networks you deploy from`;
        expect(problemsOf(digitalOceanConfig({ digitalocean: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] } }))).toEqual([refusal("0.0.0.0/1, 128.0.0.0/1", "IPv4")]);
        expect(problemsOf(digitalOceanConfig({ digitalocean: { adminCidrs: ["::/1", "8000::/1"] } }))).toEqual([refusal("::/1, 8000::/1", "IPv6")]);
        // Overlapping, unordered, with host bits set: the union is what counts.
        const pieces = ["192.0.0.0/2", "0.0.0.0/2", "64.1.2.3/2", "128.0.0.0/2", "10.0.0.0/8"];
        expect(problemsOf(digitalOceanConfig({ digitalocean: { adminCidrs: pieces } }))).toEqual([refusal(pieces.join(", "), "IPv4")]);
        // Half the internet, or all but one address, is a choice this check does not make for the user.
        expect(problemsOf(digitalOceanConfig({ digitalocean: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "2001:db8::/32"] } }))).toEqual([]);
        expect(problemsOf(digitalOceanConfig({ digitalocean: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8", "255.0.0.0/9"] } }))).toEqual([]);
    });

    it("reports every problem at once, each with its config path", () => {
        const raw = digitalOceanConfig({
            digitalocean: {
                region: "Frankfurt",
                vpcIpRange: "8.8.0.0/16",
                sshPublicKey: "not a key",
                adminCidrs: ["203.0.113.0", "office"],
                droplets: [
                    { name: "web", count: 2, size: "S 1GB", roles: ["web", "cache"] },
                    { name: "web", count: 1, size: "s-1vcpu-1gb", roles: ["worker"] },
                    { name: "lb", count: 2, size: "s-1vcpu-1gb", roles: ["loadbalancer"], colour: "blue" },
                ],
                reservedIp: "yes",
                dns: { zone: "example.org" },
                registry: { name: "other", tier: "gold" },
                token: "dop_v1_...",
            },
        });
        expect(problemsOf(raw)).toEqual([
            "berth:digitalocean.token: is not a known setting; allowed: region, vpcIpRange, sshPublicKey, adminCidrs, image, droplets, reservedIp, monitoring, unattendedUpgrades, dns, registry, databases",
            'berth:digitalocean.region: must be a DigitalOcean region slug like fra1 or nyc3 (got "Frankfurt")',
            'berth:digitalocean.vpcIpRange: must be a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) from /16 to /28, like 10.10.0.0/20 (got "8.8.0.0/16")',
            'berth:digitalocean.sshPublicKey: must be one OpenSSH public key line like "ssh-ed25519 AAAA... deploy@example" (the .pub file of berth:sshKeyPath), its comment only letters, digits, spaces and @._+:=,/-',
            'berth:digitalocean.adminCidrs[0]: must be a CIDR like 203.0.113.0/24 or 2001:db8::/48 (got "203.0.113.0")',
            'berth:digitalocean.adminCidrs[1]: must be a CIDR like 203.0.113.0/24 or 2001:db8::/48 (got "office")',
            'berth:digitalocean.droplets[0].size: must be a droplet size slug like s-1vcpu-2gb (got "S 1GB")',
            'berth:digitalocean.droplets[0].roles[1]: must be one of web, worker, beat, loadbalancer, data (got "cache")',
            'berth:digitalocean.droplets[1].name: duplicates droplet group "web"; group names must be unique',
            "berth:digitalocean.droplets[2].colour: is not a known setting; allowed: name, count, size, image, roles, privatePorts",
            "berth:digitalocean.droplets[2].count: must be 1: the group has the role loadbalancer and berth runs exactly one nginx host (got 2)",
            'berth:digitalocean.reservedIp: must be true or false (got "yes")',
            'berth:digitalocean.registry.tier: must be one of starter, basic, professional (got "gold")',
            'berth:apps[0].hosts.worker[0]: names no host in berth:hosts or berth:digitalocean.droplets (known: web-1, web-2, web-1, lb-1, lb-2)',
            'berth:apps[0].hosts.beat[0]: names no host in berth:hosts or berth:digitalocean.droplets (known: web-1, web-2, web-1, lb-1, lb-2)',
            'berth:apps[0].domain: must be inside the DNS zone example.org (berth:digitalocean.dns.zone) to get its A record (got "antisocial.example.com")',
            'berth:apps[0].image.repository: is in the registry "berth", but the hosts log in to "other" (berth:digitalocean.registry.name; an account has one registry)',
        ]);
    });

    it("needs admin networks, a load balancer group and hosts the apps name", () => {
        const raw = digitalOceanConfig({ web: 1 });
        const digitalocean = raw.digitalocean as Record<string, unknown>;
        delete digitalocean.adminCidrs;
        digitalocean.droplets = [{ name: "web", count: 1, size: "s-1vcpu-2gb", roles: ["web", "worker", "beat"] }];
        expect(problemsOf(raw)).toEqual([
            "berth:digitalocean.adminCidrs: must list the networks that may reach SSH on the droplets (where `pulumi up` runs: an office, a CI runner), like [203.0.113.0/24]",
            "berth:digitalocean.droplets: must have one group with the role loadbalancer and count 1: nginx runs there, behind the firewall's only public web ports",
            "berth:loadBalancer.host: names no host in berth:hosts or berth:digitalocean.droplets (known: web-1)",
            "berth:apps[0].hosts.worker[0]: names no host in berth:hosts or berth:digitalocean.droplets (known: web-1)",
            "berth:apps[0].hosts.beat[0]: names no host in berth:hosts or berth:digitalocean.droplets (known: web-1)",
            "berth:loadBalancer.host: must name the droplet of the loadbalancer group when berth:digitalocean is set (droplets: web-1)",
        ]);
    });

    it("keeps listed hosts beside droplets, but never under a droplet's name", () => {
        const raw = digitalOceanConfig();
        const database = { name: "db-1", address: "10.10.0.50", roles: ["data"] };
        raw.hosts = [database, { name: "web-2", address: "10.10.0.51", roles: ["web"] }];
        expect(problemsOf(raw)).toEqual(['berth:hosts[1].name: duplicates the droplet "web-2" of berth:digitalocean.droplets; host names must be unique']);
        raw.hosts = [database];
        expect(validateConfig(raw).hosts.map((host) => host.name)).toEqual(["db-1"]);
    });
});
