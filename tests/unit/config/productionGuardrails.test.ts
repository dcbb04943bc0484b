import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, RawConfig } from "../../../components/config";
import { deployStack, readStackConfig } from "../../../stacks";
import { problemsOf } from "../../support/configProblems";
import { temporaryDirectory } from "../../support/files";
import { MOCKED_RUN_TIMEOUT_MS, mockHostKeyScanner, recordProgram } from "../../support/pulumiMocks";

/**
 * The guardrails config validation can decide, held by the program itself:
 * they hold on every path (`bin/berth deploy`, plain `pulumi up`, any
 * policy config), reported with the config path before anything is
 * registered. The policy pack adds what only resources show.
 */

jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

function stack(production: boolean, env: Record<string, string>): RawConfig {
    return {
        production,
        hosts: [
            { name: "web-1", address: "203.0.113.11", privateAddress: "10.10.0.11", roles: ["web"] },
            { name: "lb-1", address: "203.0.113.14", privateAddress: "10.10.0.14", roles: ["loadbalancer"] },
        ],
        loadBalancer: { host: "lb-1" },
        tls: { acme: { email: "ops@example.com" } },
        apps: [{
            name: "sample",
            domain: "sample.example.com",
            image: { repository: "registry.example.com/sample", tag: "v1.0.0" },
            webPort: 8001,
            hosts: { web: ["web-1"] },
            env,
        }],
    };
}

const advice = (key: string) => `a production stack keeps secrets out of plain config and state: set it with \`pulumi config set --secret --path 'berth:secrets.sample.${key}' ...\` and remove it from berth:apps[0].env`;

describe("plain settings that carry credentials", () => {
    it.each([
        ["DATABASE_URL", "a URL with a password (scheme://user:password@host)", "postgres://sample:hunter2@10.10.0.15:5432/appdb"],
        ["CELERY_BROKER_URL", "a URL with a password (scheme://user:password@host)", "redis://:hunter2@10.10.0.15:6379/0"],
        ["CACHES", "a URL with a password (scheme://user:password@host)", '{"default": {"LOCATION": "rediss://cache:hunter2@cache.internal:6380/1"}}'],
        ["SIGNING", "a private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"],
        ["JWT_SIGNING", "a private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"],
        ["GITHUB", "a GitHub token", "ghp_0123456789abcdefghijABCDEFGHIJ012345"],
        ["DO_ACCESS", "a DigitalOcean token", `dop_v1_${"0123456789abcdef".repeat(4)}`],
        ["AWS_ACCESS", "an AWS access key", "AKIAIOSFODNN7EXAMPLE"],
        ["STRIPE", "a Stripe secret key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
        ["SLACK_HOOK", "a Slack token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
])("refuses %s holding %s", (key, kind, value) => {
        expect(problemsOf(stack(true, { [key]: value }))).toEqual([
            `berth:apps[0].env.${key}: holds a credential (${kind}): ${advice(key)}`,
        ]);
        // The value itself is never repeated back.
        expect(problemsOf(stack(true, { [key]: value })).join("\n")).not.toContain(value.slice(-6));
    });

    it("refuses names like secrets, whatever their value", () => {
        expect(problemsOf(stack(true, { DATABASE_PASSWORD: "x", STRIPE_API_KEY: "y", SECRET_KEY: "z", GITHUB_TOKEN: "t", DEPLOY_PRIVATE_KEY: "k", DJANGO_SETTINGS_MODULE: "sample.settings" }))).toEqual([
            `berth:apps[0].env.DATABASE_PASSWORD: is named like a secret (*PASSWORD*, *PASSWD*, *PASSPHRASE*, *SECRET*, *TOKEN*, *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIALS*): ${advice("DATABASE_PASSWORD")}`,
            `berth:apps[0].env.DEPLOY_PRIVATE_KEY: is named like a secret (*PASSWORD*, *PASSWD*, *PASSPHRASE*, *SECRET*, *TOKEN*, *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIALS*): ${advice("DEPLOY_PRIVATE_KEY")}`,
            `berth:apps[0].env.GITHUB_TOKEN: is named like a secret (*PASSWORD*, *PASSWD*, *PASSPHRASE*, *SECRET*, *TOKEN*, *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIALS*): ${advice("GITHUB_TOKEN")}`,
            `berth:apps[0].env.SECRET_KEY: is named like a secret (*PASSWORD*, *PASSWD*, *PASSPHRASE*, *SECRET*, *TOKEN*, *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIALS*): ${advice("SECRET_KEY")}`,
            `berth:apps[0].env.STRIPE_API_KEY: is named like a secret (*PASSWORD*, *PASSWD*, *PASSPHRASE*, *SECRET*, *TOKEN*, *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIALS*): ${advice("STRIPE_API_KEY")}`,
        ]);
    });

    it.each([
        ["CELERY_BROKER_URL", "redis://10.10.0.15:6379/0"],
        ["DATABASE_URL", "postgres://sample@10.10.0.15/sample"],
        ["SITE_URL", "https://sample.example.com:8443/path?next=/a@b"],
        ["DJANGO_SETTINGS_MODULE", "sample.settings"],
        ["PUBLIC_KEY", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample berth"],
        ["STRIPE_PUBLISHABLE", "pk_live_4eC39HqLyjWDarjtT1zdp7dc"],
        ["ALLOWED_HOSTS", "sample.example.com,www.sample.example.com"],
    ])("accepts %s=%s in production", (key, value) => {
        expect(problemsOf(stack(true, { [key]: value }))).toEqual([]);
    });

    it("leaves a stack that is not production alone (the lab's throwaway settings)", () => {
        expect(problemsOf(stack(false, { DATABASE_URL: "postgres://sample:hunter2@db/sample", DATABASE_PASSWORD: "x" }))).toEqual([]);
    });
});

describe("what the pack's other rules refused, decided from config", () => {
    it("refuses a production web host whose web ports would be published on a public address", () => {
        const raw = stack(true, {});
        (raw.hosts as Record<string, unknown>[])[0].privateAddress = "203.0.113.11";
        expect(problemsOf(raw)).toEqual([
            'berth:hosts[0].privateAddress: must be an address on a private network in a production stack (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, fc00::/7, fe80::/10 or ::1): the web containers of sample publish their webPort on it, and only nginx may face the internet (got "203.0.113.11")',
        ]);
        delete (raw.hosts as Record<string, unknown>[])[0].privateAddress;
        expect(problemsOf(raw)).toEqual([
            'berth:hosts[0].privateAddress: must be an address on a private network in a production stack (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, fc00::/7, fe80::/10 or ::1): the web containers of sample publish their webPort on it, and only nginx may face the internet (got "203.0.113.11", the host\'s address: privateAddress is not set)',
        ]);
        expect(problemsOf({ ...raw, production: false })).toEqual([]);
    });

    it("accepts private IPv4 and IPv6 addresses for web hosts", () => {
        for (const address of ["10.1.2.3", "172.31.255.255", "192.168.1.1", "fd12:3456::11"]) {
            const raw = stack(true, {});
            (raw.hosts as Record<string, unknown>[])[0].privateAddress = address;
            expect(problemsOf(raw)).toEqual([]);
        }
    });

    it("refuses an untagged or latest nginx image in production", () => {
        for (const image of ["nginx", "nginx:latest", "registry.example.com:5000/nginx"]) {
            const raw = stack(true, {});
            raw.loadBalancer = { host: "lb-1", image };
            expect(problemsOf(raw)).toEqual([
                `berth:loadBalancer.image: must name a version in a production stack: a tag other than latest (like nginx:1.27-bookworm) or a digest (got ${JSON.stringify(image)})`,
            ]);
            expect(problemsOf({ ...raw, production: false })).toEqual([]);
        }
        const pinned = stack(true, {});
        pinned.loadBalancer = { host: "lb-1", image: `nginx@sha256:${"a".repeat(64)}` };
        expect(problemsOf(pinned)).toEqual([]);
    });

    it("never lets nginx take the load balancer host's SSH port (on DigitalOcean its firewall opens httpPort to the world)", () => {
        const raw = stack(false, {});
        raw.loadBalancer = { host: "lb-1", httpPort: 22 };
        expect(problemsOf(raw)).toEqual([
            'berth:loadBalancer.httpPort: port 22 on host "lb-1" is already used by SSH; nginx must listen on another port',
        ]);
    });
});

describe("through the whole program, as plain `pulumi up` runs it", () => {
    const scratch = temporaryDirectory("production-guardrails");
    const sshKeyPath = join(scratch, "id_ed25519");
    writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");

    it("refuses a DATABASE_URL with a password in production before any resource is registered", async () => {
        const raw = stack(true, { DATABASE_URL: "postgres://sample:hunter2-do-not-print@10.10.0.15/sample" });
        const config: Record<string, unknown> = {
            "berth:production": true,
            "berth:sshKeyPath": sshKeyPath,
            "berth:hosts": raw.hosts,
            "berth:loadBalancer": raw.loadBalancer,
            "berth:apps": raw.apps,
            "berth:tls": raw.tls,
        };
        let caught: unknown;
        const { recorded } = await recordProgram(config, [], () => {
            try {
                return deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner });
            } catch (error) {
                caught = error;
                return undefined;
            }
        });
        expect(caught).toBeInstanceOf(ConfigError);
        expect((caught as ConfigError).problems).toEqual([{
            propertyPath: "berth:apps[0].env.DATABASE_URL",
            reason: `holds a credential (a URL with a password (scheme://user:password@host)): ${advice("DATABASE_URL")}`,
        }]);
        expect((caught as ConfigError).message).not.toContain("hunter2");
        expect(recorded.resources).toEqual([]);
    });
});
