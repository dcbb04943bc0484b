import { execFileSync } from "node:child_process";
import { hostAccessByProvider, sshHostName, stackStateOf } from "../../../cli/stackState";

// How `berth status` and `berth recover` reach a host: from its docker provider's
// `host` input, an ssh:// URL as components/host.ts writes it (IPv6 in brackets).

function providerState(host: string) {
    return stackStateOf({
        deployment: {
            resources: [{
                urn: "urn:pulumi:prod::berth::berth:index:Host$pulumi:providers:docker::web-1-docker",
                type: "pulumi:providers:docker",
                id: "3b1f",
                inputs: { host, sshOpts: JSON.stringify(["-o", "BatchMode=yes"]) },
            }],
        },
    });
}

/** What the real ssh makes of the arguments: `ssh -G` prints the options it would connect with, and connects nowhere. */
function sshResolves(sshArguments: string[]): { hostname: string; user: string; port: string } {
    const output = execFileSync("ssh", ["-G", ...sshArguments], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const option = (name: string) => output.split("\n").find((line) => line.startsWith(`${name} `))?.slice(name.length + 1) ?? "";
    return { hostname: option("hostname"), user: option("user"), port: option("port") };
}

describe("hostAccessByProvider", () => {
    it("reaches an IPv6 host by its bare address: ssh would look a bracketed one up as a name", () => {
        const [access] = [...hostAccessByProvider(providerState("ssh://root@[2001:db8::1]:2222")).values()];
        expect(access).toEqual({ host: "web-1", sshArguments: ["-o", "BatchMode=yes", "-p", "2222", "root@2001:db8::1"] });
        expect(sshResolves(access.sshArguments)).toEqual({ hostname: "2001:db8::1", user: "root", port: "2222" });
    });

    it("reaches IPv4 and named hosts as before", () => {
        const [ipv4] = [...hostAccessByProvider(providerState("ssh://deploy@203.0.113.7:22")).values()];
        expect(ipv4.sshArguments).toEqual(["-o", "BatchMode=yes", "-p", "22", "deploy@203.0.113.7"]);
        expect(sshResolves(ipv4.sshArguments)).toEqual({ hostname: "203.0.113.7", user: "deploy", port: "22" });
        const [named] = [...hostAccessByProvider(providerState("ssh://root@web-1.example.com")).values()];
        expect(named.sshArguments).toEqual(["-o", "BatchMode=yes", "-p", "22", "root@web-1.example.com"]);
    });

    it("takes the host out of the URL without its brackets", () => {
        expect(sshHostName(new URL("ssh://root@[2001:db8::1]:22"))).toBe("2001:db8::1");
        expect(sshHostName(new URL("ssh://root@[::ffff:203.0.113.7]:22"))).toBe("::ffff:cb00:7107");
        expect(sshHostName(new URL("ssh://root@10.0.0.1:22"))).toBe("10.0.0.1");
    });
});
