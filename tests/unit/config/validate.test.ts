import { RawConfig, validateConfig } from "../../../components/config";
import { problemsOf } from "../../support/configProblems";
import { labHostsConfig } from "../../support/labHosts";

function validLabConfig(): RawConfig {
    return {
        hosts: labHostsConfig(),
        loadBalancer: { host: "lb-1" },
        // A production variant of this config gets HTTPS from Let's Encrypt by default: its account's e-mail.
        tls: { acme: { email: "ops@example.com" } },
        apps: [
            {
                name: "antisocial",
                domain: "antisocial.localhost",
                image: { repository: "127.0.0.1:5000/antisocial", tag: "v1" },
                code: { repository: "/srv/git/antisocial.git", ref: "v1.0.0" },
                webPort: 8001,
                hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] },
                env: { DJANGO_SETTINGS_MODULE: "antisocial.settings" },
            },
        ],
    };
}

describe("validateConfig", () => {
    it("applies every default to a valid config", () => {
        const spec = validateConfig(validLabConfig());
        expect(spec.production).toBe(false);
        expect(spec.loadBalancer).toEqual({ host: "lb-1", httpPort: 80, publicPort: 80, httpsPort: 443, publicHttpsPort: 443, image: "nginx:1.27-bookworm" });
        expect(spec.hosts[2]).toEqual({
            name: "worker-1", address: "127.0.0.1", privateAddress: "127.0.0.1", sshPort: 2203, sshUser: "root", roles: ["worker", "beat"],
        });
        expect(spec.apps[0]).toEqual({
            name: "antisocial",
            domain: "antisocial.localhost",
            image: { repository: "127.0.0.1:5000/antisocial", tag: "v1" },
            code: { repository: "/srv/git/antisocial.git", ref: "v1.0.0", allowedBranches: [] },
            webPort: 8001,
            swap: "blue-green",
            wsgiModule: "antisocial.wsgi:application",
            hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] },
            release: ["migrate", "collectstatic"],
            releaseWhen: "changed",
            reload: "touch",
            processes: 2,
            threads: 2,
            healthPath: "/healthz",
            healthTimeoutSeconds: 60,
            stopGraceSeconds: 30,
            keepReleases: 5,
            env: { DJANGO_SETTINGS_MODULE: "antisocial.settings" },
            memoryMb: 512,
            workerConcurrency: 2,
            tls: { mode: "off" },
            accessories: [],
        });
        expect(spec.accessories).toEqual([]);
    });

    it("reports every problem at once, each with its config path and what is allowed", () => {
        const raw = validLabConfig();
        const hosts = raw.hosts as Record<string, unknown>[];
        hosts[1].address = "300.1.2.3";
        hosts[2].roles = ["worker", "scheduler"];
        const app = (raw.apps as Record<string, unknown>[])[0];
        app.hosts = { web: ["web-1", "web-9"], beat: ["worker-1", "web-1"] };
        app.code = { repository: "/srv/git/antisocial.git", ref: "feature/x", allowedBranches: ["main"] };
        (raw.apps as unknown[]).push({ ...app, code: undefined, webPort: 8001, hosts: { web: ["web-1"] } });

        expect(problemsOf(raw)).toEqual([
            'berth:hosts[1].address: must be an IPv4 address, an IPv6 address or a DNS name (got "300.1.2.3")',
            'berth:hosts[2].roles[1]: must be one of web, worker, beat, loadbalancer, data (got "scheduler")',
            'berth:apps[0].code.ref: must be a tag (like v1.4.2 or tags/<name>) or one of the allowed branches (main) (got "feature/x")',
            "berth:apps[0].hosts.beat: must name exactly one host: celery beat is a singleton (got 2)",
            'berth:apps[0].hosts.web[1]: names no host in berth:hosts (known: web-1, web-2, worker-1, lb-1)',
            'berth:apps[0].hosts.beat[0]: host "worker-1" lacks the role "beat" (it has: worker, scheduler)',
            'berth:apps[0].hosts.beat[1]: host "web-1" lacks the role "beat" (it has: web)',
            'berth:apps[1].name: duplicates app "antisocial"; app names must be unique',
            `berth:apps[1].domain: duplicates the domain of berth:apps[0] ("antisocial.localhost"): nginx would send both apps' requests to one of them`,
            'berth:apps[1].webPort: port 8001 on host "web-1" is already used by app "antisocial"; an app\'s web containers use webPort and webPort + 1: give each app on a host its own pair',
        ]);
    });

    it("refuses empty host and app lists", () => {
        expect(problemsOf({ hosts: [], loadBalancer: { host: "lb-1" }, apps: [] })).toEqual([
            "berth:hosts: must list at least one host",
            "berth:loadBalancer.host: names no host in berth:hosts (known: none)",
            "berth:apps: must list at least one app",
        ]);
    });

    it("refuses moving and empty tags in a production stack only", () => {
        const raw = validLabConfig();
        const app = (raw.apps as Record<string, unknown>[])[0];
        app.image = { repository: "registry.example.com/antisocial", tag: "latest" };
        expect(problemsOf(raw)).toEqual([]);
        expect(problemsOf({ ...raw, production: true })).toEqual([
            'berth:apps[0].image.tag: must be a versioned tag in a production stack: a version such as v1.4.2 or 2026.11.1 (optionally with a suffix like -rc1), or a commit hash of 7 to 40 hex digits (optionally sha-<hash>); "latest" is a name that moves, and a rollback needs a version to go back to',
        ]);
        app.image = { repository: "registry.example.com/antisocial", tag: "" };
        expect(problemsOf({ ...raw, production: true })).toEqual([
            "berth:apps[0].image.tag: must be an image tag: letters, digits, '_', '.', '-' (got \"\")",
        ]);
    });

    it.each(["v1.4.2", "2026.11.1", "1.4.2-rc1", "v7", "3f2a9c1", "sha-3f2a9c1", "0123456789abcdef0123456789abcdef01234567"])("accepts the versioned tag %s in production", (tag) => {
        const raw = validLabConfig();
        (raw.apps as Record<string, unknown>[])[0].image = { repository: "registry.example.com/antisocial", tag };
        expect(problemsOf({ ...raw, production: true })).toEqual([]);
    });

    it("accepts the ordinary shapes of every constrained string", () => {
        const raw = validLabConfig();
        const hosts = raw.hosts as Record<string, unknown>[];
        hosts[0].sshUser = "deploy";
        hosts[1].sshUser = "_berth-ci";
        raw.loadBalancer = { host: "lb-1", image: "registry.example.com:5000/team/nginx@sha256:" + "a".repeat(64) };
        const app = (raw.apps as Record<string, unknown>[])[0];
        app.healthPath = "/health/ready.json?database=1&cache=%2Fx";
        app.release = ["migrate", "collectstatic", "manage clearsessions --verbosity=2", "manage loaddata fixtures/site.json"];
        app.env = { DATABASE_URL: "postgres://u:p@db/x?sslmode=require", MULTILINE: "a\nb", QUOTED: "it's $(not) run" };
        for (const repository of [
            "https://github.com/example/antisocial.git", "http://172.30.0.2:8081/sample.git", "ssh://git@github.com:22/example/antisocial.git",
            "git://172.30.0.2/sample.git", "git@github.com:example/antisocial.git", "github.com:example/antisocial", "file:///srv/git/antisocial.git",
            "/srv/git/antisocial.git", "ssh://[2001:db8::1]/srv/git/a.git",
        ]) {
            app.code = { repository, ref: "release/2026.11", allowedBranches: ["main", "release/2026.11", "feature_x-1"] };
            expect([repository, problemsOf({ ...raw, secrets: { antisocial: { SECRET_KEY: "x'y\nz", PORT: 5432, FLAG: true } } })]).toEqual([repository, []]);
        }
    });

    it("accepts tags and allowed branches as code refs", () => {
        for (const ref of ["v1.4.2", "2024.05.1", "tags/release-7", "refs/tags/rc1", "main"]) {
            const raw = validLabConfig();
            (raw.apps as Record<string, unknown>[])[0].code = { repository: "/srv/git/a.git", ref, allowedBranches: ["main"] };
            expect(problemsOf(raw)).toEqual([]);
        }
    });

    it("names unknown settings instead of ignoring them", () => {
        const raw = validLabConfig();
        (raw.apps as Record<string, unknown>[])[0].webport = 8001;
        (raw.hosts as Record<string, unknown>[])[0].role = "web";
        expect(problemsOf(raw)).toEqual([
            "berth:hosts[0].role: is not a known setting; allowed: name, address, privateAddress, sshPort, sshUser, roles, hostKey",
            "berth:apps[0].webport: is not a known setting; allowed: name, domain, image, code, webPort, swap, wsgiModule, hosts, release, releaseWhen, reload, processes, threads, healthPath, healthTimeoutSeconds, stopGraceSeconds, keepReleases, env, memoryMb, workerConcurrency, tls, accessories, user",
        ]);
    });

    it("refuses ports that collide with nginx on the load balancer host", () => {
        const raw = validLabConfig();
        const hosts = raw.hosts as Record<string, unknown>[];
        hosts[0].roles = ["web", "loadbalancer"];
        raw.loadBalancer = { host: "web-1", httpPort: 8001 };
        expect(problemsOf(raw)).toEqual([
            'berth:apps[0].webPort: port 8001 on host "web-1" is already used by nginx; an app\'s web containers use webPort and webPort + 1: give each app on a host its own pair',
        ]);
    });

    it("throws one ConfigError whose message lists every problem", () => {
        expect(() => validateConfig({ hosts: [], loadBalancer: {}, apps: [] })).toThrow(
            "berth: the stack config has 3 problems:\n" +
                "  - berth:hosts: must list at least one host\n" +
                "  - berth:loadBalancer.host: must be a non-empty string (got nothing)\n" +
                "  - berth:apps: must list at least one app",
        );
    });
});
