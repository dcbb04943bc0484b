/** The lab's four deploy targets as `berth:hosts` lists them, for configs under test. */
export function labHostsConfig(): Record<string, unknown>[] {
    return [
        { name: "web-1", address: "127.0.0.1", sshPort: 2201, privateAddress: "172.30.0.11", roles: ["web"] },
        { name: "web-2", address: "127.0.0.1", sshPort: 2202, privateAddress: "172.30.0.12", roles: ["web"] },
        { name: "worker-1", address: "127.0.0.1", sshPort: 2203, roles: ["worker", "beat"] },
        { name: "lb-1", address: "127.0.0.1", sshPort: 2204, roles: ["loadbalancer"] },
    ];
}
