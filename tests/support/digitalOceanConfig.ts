import { RawConfig } from "../../components/config";

export const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBerthDeployKeyForTestsOnly0000000000000000 deploy@berth";

/** A prod config in the shape of Pulumi.prod.yaml: droplets instead of listed hosts. */
export function digitalOceanConfig(overrides: { web?: number; digitalocean?: Record<string, unknown>; apps?: unknown[] } = {}): RawConfig {
    const webCount = overrides.web ?? 2;
    return {
        production: true,
        digitalocean: {
            region: "fra1",
            vpcIpRange: "10.10.0.0/20",
            sshPublicKey: PUBLIC_KEY,
            adminCidrs: ["203.0.113.0/24"],
            droplets: [
                { name: "web", count: webCount, size: "s-1vcpu-2gb", roles: ["web"] },
                { name: "worker", count: 1, size: "s-2vcpu-4gb", roles: ["worker", "beat"] },
                { name: "lb", count: 1, size: "s-1vcpu-1gb", roles: ["loadbalancer"] },
            ],
            ...overrides.digitalocean,
        },
        loadBalancer: { host: "lb-1" },
        tls: { acme: { email: "ops@example.com" } },
        apps: overrides.apps ?? [
            {
                name: "antisocial",
                domain: "antisocial.example.com",
                image: { repository: "registry.digitalocean.com/berth/antisocial", tag: "2026.11.1" },
                code: { repository: "https://github.com/example/antisocial.git", ref: "v2026.11.1" },
                webPort: 8001,
                hosts: { web: Array.from({ length: webCount }, (_, index) => `web-${index + 1}`), worker: ["worker-1"], beat: ["worker-1"] },
            },
        ],
    };
}
