import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { NginxSettings, renderDownPage, renderNginxConf, upstreamName, upstreamServerAddress, upstreamServerMarker } from "../../../components/render/nginx";
import { drainEdit } from "../../../components/shell/commands";
import { temporaryDirectory } from "../../support/files";

const twoApps: NginxSettings = {
    httpPort: 80,
    downPageDirectory: "/srv/berth/nginx",
    acmeWebroot: "/srv/berth/tls/webroot", maintenanceDirectory: "/srv/berth/nginx/maintenance",
    https: { port: 443, publicPort: 443, hstsMaxAgeSeconds: 0, ocspStapling: false },
    sites: [
        {
            appName: "feed-reader",
            domain: "feeds.example.com",
            servers: [
                { hostName: "web-2", address: "10.10.0.3", port: 8002, drained: false },
                { hostName: "web-1", address: "10.10.0.2", port: 8002, drained: false },
            ],
        },
        {
            appName: "antisocial",
            domain: "antisocial.example.com",
            servers: [
                { hostName: "web-1", address: "10.10.0.2", port: 8001, drained: true },
                { hostName: "web-2", address: "10.10.0.3", port: 8001, drained: false },
            ],
        },
    ],
};

const scratch = temporaryDirectory("nginx");

/** Runs the real `nginx -t` on a rendered config; throws with nginx's words when it fails. */
function nginxTest(conf: string): void {
    const path = join(scratch, "nginx.conf");
    writeFileSync(path, conf);
    execFileSync("nginx", ["-t", "-q", "-c", path], { stdio: ["ignore", "ignore", "pipe"] });
}

describe("renderNginxConf", () => {
    it("renders one upstream and server block per app, sorted", () => {
        expect(renderNginxConf(twoApps)).toMatchSnapshot();
    });

    it("is deterministic whatever the input order", () => {
        const reversed = { ...twoApps, sites: [...twoApps.sites].reverse() };
        expect(renderNginxConf(reversed)).toBe(renderNginxConf(twoApps));
    });

    it("marks a drained host down and keeps the others", () => {
        const conf = renderNginxConf(twoApps);
        expect(conf).toContain("    server 10.10.0.2:8001 max_fails=1 fail_timeout=5s down; # antisocial@web-1\n");
        expect(conf).toContain("    server 10.10.0.3:8001 max_fails=1 fail_timeout=5s; # antisocial@web-2\n");
    });

    it("gives every app its own upstream", () => {
        expect(upstreamName("feed-reader")).toBe("berth_feed_reader");
        const conf = renderNginxConf(twoApps);
        expect(conf.match(/^    upstream /gm)).toHaveLength(2);
    });

    it("passes the real nginx -t", () => {
        expect(() => nginxTest(renderNginxConf(twoApps))).not.toThrow();
    });

    it("is checked by a real nginx -t that does fail on a broken config", () => {
        expect(() => nginxTest(renderNginxConf(twoApps).replace("proxy_pass", "proxy_passs"))).toThrow(/test failed/);
    });
});

describe("renderNginxConf with IPv6 web hosts", () => {
    const ipv6: NginxSettings = {
        ...twoApps,
        sites: [{
            appName: "antisocial",
            domain: "antisocial.example.com",
            servers: [
                { hostName: "web-1", address: "2001:db8::1", port: 8001, drained: false },
                { hostName: "web-2", address: "fd00:10:10::3", port: 8001, drained: true },
                { hostName: "web-3", address: "10.10.0.4", port: 8001, drained: false },
            ],
        }],
    };

    it("brackets an IPv6 address before its port, and leaves IPv4 addresses alone", () => {
        expect(upstreamServerAddress({ address: "2001:db8::1", port: 8001 })).toBe("[2001:db8::1]:8001");
        expect(upstreamServerAddress({ address: "[2001:db8::1]", port: 8001 })).toBe("[2001:db8::1]:8001");
        expect(upstreamServerAddress({ address: "10.10.0.2", port: 8001 })).toBe("10.10.0.2:8001");
        const conf = renderNginxConf(ipv6);
        expect(conf).toContain("        server [2001:db8::1]:8001 max_fails=1 fail_timeout=5s; # antisocial@web-1\n");
        expect(conf).toContain("        server [fd00:10:10::3]:8001 max_fails=1 fail_timeout=5s down; # antisocial@web-2\n");
        expect(conf).toContain("        server 10.10.0.4:8001 max_fails=1 fail_timeout=5s; # antisocial@web-3\n");
    });

    it("passes the real nginx -t", () => {
        expect(() => nginxTest(renderNginxConf(ipv6))).not.toThrow();
    });

    it("drains and undrains an IPv6 server through the live config, and nginx accepts the result", () => {
        const sed = (expression: string, input: string) => execFileSync("sed", [expression], { input, encoding: "utf8" });
        const conf = renderNginxConf(ipv6);
        const drained = sed(drainEdit(upstreamServerMarker("antisocial", "web-1"), true), conf);
        expect(drained).toContain("        server [2001:db8::1]:8001 max_fails=1 fail_timeout=5s down; # antisocial@web-1\n");
        expect(() => nginxTest(drained)).not.toThrow();
        expect(sed(drainEdit(upstreamServerMarker("antisocial", "web-1"), false), drained)).toBe(conf);
    });
});

describe("renderDownPage", () => {
    it("says the site is down", () => {
        expect(renderDownPage()).toContain("<h1>Sorry, the site is down for a moment.</h1>");
    });
});

describe("draining through the live config", () => {
    const sed = (expression: string, input: string) => execFileSync("sed", [expression], { input, encoding: "utf8" });

    it("drains and undrains exactly one app's server on one host, and nginx accepts the result", () => {
        const allUp = renderNginxConf({ ...twoApps, sites: twoApps.sites.map((site) => ({ ...site, servers: site.servers.map((server) => ({ ...server, drained: false })) })) });
        const drained = sed(drainEdit(upstreamServerMarker("antisocial", "web-1"), true), allUp);
        expect(drained.split("\n").filter((line, index) => line !== allUp.split("\n")[index])).toEqual([
            "        server 10.10.0.2:8001 max_fails=1 fail_timeout=5s down; # antisocial@web-1",
        ]);
        expect(() => nginxTest(drained)).not.toThrow();
        expect(sed(drainEdit(upstreamServerMarker("antisocial", "web-1"), false), drained)).toBe(allUp);
    });
});
