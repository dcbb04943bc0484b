import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NginxSettings, renderNginxConf, SiteSettings } from "../../../components/render/nginx";
import { ensureAcmeChallengeServed } from "../../../components/shell/commands";
import { temporaryDirectory } from "../../support/files";

const scratch = temporaryDirectory("nginx-tls");

/** A self-signed certificate and key for `domain`, made by openssl, in the scratch directory. */
function selfSigned(domain: string): { certificateFile: string; keyFile: string } {
    const certificateFile = join(scratch, `${domain}.crt`);
    const keyFile = join(scratch, `${domain}.key`);
    execFileSync("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", `/CN=${domain}`, "-addext", `subjectAltName=DNS:${domain}`, "-keyout", keyFile, "-out", certificateFile,
    ], { stdio: "ignore" });
    return { certificateFile, keyFile };
}

function nginxTest(conf: string): void {
    const path = join(scratch, "nginx.conf");
    writeFileSync(path, conf);
    execFileSync("nginx", ["-t", "-q", "-c", path], { stdio: ["ignore", "ignore", "pipe"] });
}

const webroot = "/srv/berth/tls/webroot";
const site = (appName: string, domain: string, port: number, tls?: SiteSettings["tls"]): SiteSettings => ({
    appName, domain, servers: [{ hostName: "web-1", address: "10.10.0.2", port, drained: false }, { hostName: "web-2", address: "10.10.0.3", port, drained: false }],
    ...(tls ? { tls } : {}),
});

function settings(sites: SiteSettings[], https: Partial<NginxSettings["https"]> = {}): NginxSettings {
    return {
        httpPort: 80, downPageDirectory: "/srv/berth/nginx", acmeWebroot: webroot, maintenanceDirectory: "/srv/berth/nginx/maintenance",
        https: { port: 443, publicPort: 443, hstsMaxAgeSeconds: 0, ocspStapling: false, ...https },
        sites,
    };
}

describe("renderNginxConf with HTTPS sites", () => {
    const shop = selfSigned("shop.example.com");
    const conf = renderNginxConf(settings([site("shop", "shop.example.com", 8001, shop), site("blog", "blog.example.com", 8003)], { hstsMaxAgeSeconds: 31536000 }));

    it("passes the real nginx -t with a real certificate", () => {
        expect(() => nginxTest(conf)).not.toThrow();
    });

    it("redirects the HTTPS site's HTTP to HTTPS but for the ACME challenge path", () => {
        const http = conf.split("\n    server {\n").find((block) => block.includes("server_name shop.example.com;") && block.includes("listen 80;"))!;
        expect(http).toContain("location ^~ /.well-known/acme-challenge/ {");
        expect(http).toContain(`root ${webroot};`);
        expect(http).toContain("return 301 https://$host$request_uri;");
        expect(http).not.toContain("proxy_pass");
    });

    it("serves the HTTPS site on 443 with HTTP/2, its certificate, HSTS, and the scheme passed upstream", () => {
        const https = conf.split("\n    server {\n").find((block) => block.includes("listen 443 ssl http2;"))!;
        expect(https).toContain("server_name shop.example.com;");
        expect(https).toContain(`ssl_certificate ${shop.certificateFile};`);
        expect(https).toContain(`ssl_certificate_key ${shop.keyFile};`);
        expect(https).toContain('add_header Strict-Transport-Security "max-age=31536000" always;');
        expect(https).toContain("proxy_pass http://berth_shop;");
        expect(https).toContain("proxy_set_header X-Forwarded-Proto $scheme;");
    });

    it("uses Mozilla's intermediate protocols and ciphers, once, at http level", () => {
        expect(conf).toContain("    ssl_protocols TLSv1.2 TLSv1.3;\n");
        expect(conf.match(/ssl_ciphers /g)).toHaveLength(1);
        expect(conf).toContain("    ssl_session_tickets off;\n");
        expect(conf).not.toContain("ssl_stapling");
    });

    it("refuses TLS handshakes for unknown names instead of showing a certificate", () => {
        expect(conf).toContain("        listen 443 ssl default_server;\n        ssl_reject_handshake on;\n");
    });

    it("keeps the HTTP-only site on HTTP, answering challenges too (its certificate can come later)", () => {
        const blog = conf.split("\n    server {\n").find((block) => block.includes("server_name blog.example.com;"))!;
        expect(blog).toContain("listen 80;");
        expect(blog).toContain("location ^~ /.well-known/acme-challenge/ {");
        expect(blog).toContain("proxy_pass http://berth_blog;");
        expect(conf).not.toContain("server_name blog.example.com;\n        ssl_certificate");
    });

    it("redirects to the public HTTPS port when something forwards to nginx (the lab's 8443)", () => {
        const lab = renderNginxConf(settings([site("shop", "shop.example.com", 8001, shop)], { publicPort: 8443 }));
        expect(lab).toContain("return 301 https://$host:8443$request_uri;");
        expect(lab).not.toContain("Strict-Transport-Security");
    });

    it("staples OCSP only when asked", () => {
        const stapled = renderNginxConf(settings([site("shop", "shop.example.com", 8001, shop)], { ocspStapling: true }));
        expect(stapled).toContain("    ssl_stapling on;\n    ssl_stapling_verify on;\n");
    });

    it("has no HTTPS at all without an HTTPS site", () => {
        const plain = renderNginxConf(settings([site("blog", "blog.example.com", 8003)]));
        expect(plain).not.toMatch(/ssl|443/);
        expect(() => nginxTest(plain)).not.toThrow();
    });
});

describe("ensureAcmeChallengeServed on a config from a berth before HTTPS", () => {
    // The catch-all and a site as berth rendered them before HTTPS (return 444 at server level, no challenge location).
    const earlier = renderNginxConf(settings([site("shop", "shop.example.com", 8001)]))
        .replace(/\n( *)location \^~ \/\.well-known\/acme-challenge\/ \{[^}]*\}\n/g, "\n")
        .replace(/\n( *)location \/ \{\n *return 444;\n *\}\n/, "\n$1return 444;\n")
        .replace(/    # Requests for unknown host names get nothing, but for ACME challenges:\n    # a domain new to the config gets its certificate before its site is served.\n/, "    # Requests for unknown host names get nothing.\n");

    /** Runs berth's script with `docker exec <container> CMD` running CMD here (nginx -t against this machine's nginx). */
    function runScript(conf: string): { conf: string; output: string } {
        const directory = join(scratch, "upgrade");
        execFileSync("mkdir", ["-p", join(directory, "bin")]);
        writeFileSync(join(directory, "nginx.conf"), conf);
        const docker = join(directory, "bin", "docker");
        writeFileSync(docker, [
            "#!/bin/sh",
            "# docker exec CONTAINER CMD...: CMD here; a reload has no nginx to signal here; nginx opens",
            "# /dev/stdout for its access log, which cannot be Node's stdout socket.",
            "shift 2",
            'case "$*" in *"-s reload"*) exit 0 ;; nginx*) exec "$@" > /dev/null ;; esac',
            'exec "$@"',
            "",
        ].join("\n"));
        chmodSync(docker, 0o755);
        const output = execFileSync("sh", ["-c", ensureAcmeChallengeServed(directory, "berth-nginx", 80, webroot)], {
            encoding: "utf8", env: { ...process.env, PATH: `${join(directory, "bin")}:${process.env.PATH}` },
        });
        return { conf: readFileSync(join(directory, "nginx.conf"), "utf8"), output };
    }

    it("starts from a config that answers no challenge", () => {
        expect(earlier).not.toContain("acme-challenge");
        expect(earlier).toContain("        listen 80 default_server;\n        return 444;\n");
        expect(() => nginxTest(earlier)).not.toThrow();
    });

    it("adds the challenge location to every HTTP server, moves the catch-all's 444 into location /, and nginx accepts it", () => {
        const { conf, output } = runScript(earlier);
        expect(output).toContain("added to the config of an earlier berth");
        expect(conf.match(/location \^~ \/\.well-known\/acme-challenge\/ \{ # berth: ACME http-01 challenges/g)).toHaveLength(2);
        expect(conf).toContain("        location / { return 444; }\n");
        expect(conf).toContain("    server 10.10.0.2:8001 max_fails=1 fail_timeout=5s; # shop@web-1\n".replace(/^ {4}/, "        "));
        expect(() => nginxTest(conf)).not.toThrow();
        // Only the challenge locations were added, and the 444 moved: every other line is as it was.
        const challenge = [
            "    location ^~ /.well-known/acme-challenge/ { # berth: ACME http-01 challenges",
            `        root ${webroot};`,
            "        default_type text/plain;",
            "    }",
        ].join("\n");
        expect(conf.split(`\n${challenge}\n`)).toHaveLength(3);
        expect(conf.split(`\n${challenge}\n`).join("\n").replace("        location / { return 444; }", "        return 444;")).toBe(earlier);
    });

    it("leaves a config that serves challenges alone", () => {
        const current = renderNginxConf(settings([site("shop", "shop.example.com", 8001)]));
        const { conf, output } = runScript(current);
        expect(output).toContain("nginx serves ACME challenges");
        expect(conf).toBe(current);
    });
});
