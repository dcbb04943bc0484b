import { worldSshProblems } from "../../../policy/rules";

/**
 * `no-world-ssh` judges what a firewall opens, not how it is spelt: every
 * inbound rule that reaches port 22 over TCP counts, and their sources
 * together must not cover a whole address family.
 */
describe("no-world-ssh: what the firewall opens to port 22, together", () => {
    it("catches the internet split into halves", () => {
        expect(worldSshProblems([{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/1", "128.0.0.0/1"] }])).toEqual([
            "firewall opens port 22 (SSH) to 0.0.0.0/1, 128.0.0.0/1, which together cover every IPv4 address: allow only berth:digitalocean.adminCidrs",
        ]);
    });

    it("catches halves spread over rules, through a port range that contains 22", () => {
        expect(worldSshProblems([
            { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/1"] },
            { protocol: "tcp", portRange: "20-30", sourceAddresses: ["128.0.0.0/1"] },
        ])).toEqual([
            "firewall opens port 22 (SSH) to 0.0.0.0/1, 128.0.0.0/1 (ports 20-30), which together cover every IPv4 address: allow only berth:digitalocean.adminCidrs",
        ]);
    });

    it.each([["20-30"], ["1-65535"], ["all"], ["0"], [undefined]])("catches the port range %s from the whole internet", (portRange) => {
        expect(worldSshProblems([{ protocol: "tcp", portRange, sourceAddresses: ["0.0.0.0/0"] }])).toHaveLength(1);
    });

    it("catches IPv6 in pieces, and each family on its own", () => {
        expect(worldSshProblems([{ protocol: "tcp", portRange: "22", sourceAddresses: ["::/1", "8000::/1", "0.0.0.0/0"] }])).toEqual([
            "firewall opens port 22 (SSH) to 0.0.0.0/0, which covers every IPv4 address: allow only berth:digitalocean.adminCidrs",
            "firewall opens port 22 (SSH) to ::/1, 8000::/1, which together cover every IPv6 address: allow only berth:digitalocean.adminCidrs",
        ]);
    });

    it("catches overlapping, unordered pieces with host bits set", () => {
        expect(worldSshProblems([{ protocol: "tcp", portRange: "22", sourceAddresses: ["192.0.0.0/2", "0.0.0.0/2", "64.1.2.3/2", "128.0.0.0/2", "10.0.0.0/8"] }])).toHaveLength(1);
    });

    it("lets through what does not reach SSH from everywhere", () => {
        expect(worldSshProblems([
            { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/1", "198.51.100.0/24"] },
            { protocol: "tcp", portRange: "23-65535", sourceAddresses: ["128.0.0.0/1"] },
            { protocol: "udp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] },
            { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
            { protocol: "icmp", sourceAddresses: ["0.0.0.0/0"] },
        ])).toEqual([]);
    });
});
