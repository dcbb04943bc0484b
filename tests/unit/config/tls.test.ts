import { RawConfig, validateConfig, validateStackConfig } from "../../../components/config";
import { providedCertificateProblem } from "../../../components/config/tls";
import { LETS_ENCRYPT_DIRECTORY, LETS_ENCRYPT_STAGING_DIRECTORY } from "../../../components/config/types";
import { makeCertificate, validFor } from "../../support/certificates";
import { problemsOf } from "../../support/configProblems";
import { temporaryDirectory } from "../../support/files";
import { labHostsConfig } from "../../support/labHosts";

const scratch = temporaryDirectory("tls-config");

function config(tls: unknown, appTls: unknown, overrides: Partial<RawConfig> = {}): RawConfig {
    return {
        hosts: labHostsConfig(),
        loadBalancer: { host: "lb-1" },
        ...(tls === undefined ? {} : { tls }),
        apps: [{
            name: "shop",
            domain: "shop.example.com",
            image: { repository: "registry.example.com/shop", tag: "v1.0.0" },
            webPort: 8001,
            hosts: { web: ["web-1"] },
            ...(appTls === undefined ? {} : { tls: appTls }),
        }],
        ...overrides,
    };
}

describe("berth:tls and berth:apps[].tls", () => {
    it("is off outside production and on (Let's Encrypt) in production by default", () => {
        expect(validateConfig(config(undefined, undefined)).apps[0].tls).toEqual({ mode: "off" });
        const production = validateConfig(config({ acme: { email: "ops@example.com" } }, undefined, { production: true }));
        expect(production.apps[0].tls).toEqual({ mode: "acme" });
        expect(production.tls).toEqual({
            acme: { directory: LETS_ENCRYPT_DIRECTORY, email: "ops@example.com", clientImage: "goacme/lego:v4.21.0" },
            renewDaysBefore: 30, hstsMaxAgeSeconds: 0, ocspStapling: false,
        });
        expect(validateConfig(config({ acme: { email: "ops@example.com" } }, false, { production: true })).apps[0].tls).toEqual({ mode: "off" });
    });

    it("names Let's Encrypt's staging directory, and takes any https RFC 8555 directory", () => {
        expect(validateConfig(config({ acme: { email: "ops@example.com", directory: "letsencrypt-staging" } }, true)).tls.acme.directory).toBe(LETS_ENCRYPT_STAGING_DIRECTORY);
        expect(validateConfig(config({ acme: { email: "ops@example.com", directory: "https://ca.internal:9000/acme/acme/directory" } }, true)).tls.acme.directory)
            .toBe("https://ca.internal:9000/acme/acme/directory");
    });

    it("refuses TLS with no e-mail for the ACME account, before anything changes", () => {
        expect(problemsOf(config(undefined, true))).toEqual([
            `berth:tls.acme.email: must be set: berth:apps[0] get certificates from ${LETS_ENCRYPT_DIRECTORY}, whose account needs an e-mail (expiry and policy notices)`,
        ]);
    });

    it.each([
        ["an IP address", "203.0.113.7"],
        ["a single label", "localhost"],
        ["a wildcard", "*.example.com"],
    ])("refuses TLS on a domain that is %s", (_kind, domain) => {
        const raw = config({ acme: { email: "ops@example.com" } }, true);
        (raw.apps as Record<string, unknown>[])[0].domain = domain;
        expect(problemsOf(raw).join("\n")).toMatch(/^berth:apps\[0\]\.domain: must be (a DNS name of two labels or more|an IPv4 address)/m);
    });

    it.each([
        [{ acme: { directory: "http://acme.example.com/dir", email: "ops@example.com" } }, "berth:tls.acme.directory", /https:\/\//],
        [{ acme: { directory: "https://user:pw@acme.example.com/dir", email: "ops@example.com" } }, "berth:tls.acme.directory", /https:\/\//],
        [{ acme: { email: "not an address" } }, "berth:tls.acme.email", /e-mail address/],
        [{ acme: { email: "ops@example.com", clientImage: "lego; rm -rf /" } }, "berth:tls.acme.clientImage", /image reference/],
        [{ acme: { email: "ops@example.com", server: "x" } }, "berth:tls.acme.server", /not a known setting/],
        [{ acme: { email: "ops@example.com" }, renewDaysBefore: 90 }, "berth:tls.renewDaysBefore", /7 to 89/],
        [{ acme: { email: "ops@example.com" }, renewDaysBefore: 3 }, "berth:tls.renewDaysBefore", /7 to 89/],
        [{ acme: { email: "ops@example.com" }, hstsMaxAgeSeconds: -1 }, "berth:tls.hstsMaxAgeSeconds", /integer/],
    ])("refuses a bad berth:tls (%j) at its path", (tls, path, reason) => {
        const problems = problemsOf(config(tls, true));
        expect(problems.filter((problem) => problem.startsWith(`${path}:`))).toEqual([expect.stringMatching(reason)]);
    });

    it("refuses ACME in production when users (and the CA's http-01 check) do not reach nginx on port 80", () => {
        const raw = config({ acme: { email: "ops@example.com" } }, true, { production: true, loadBalancer: { host: "lb-1", publicPort: 8080 } });
        expect(problemsOf(raw)).toEqual([
            "berth:loadBalancer.publicPort: must be 80 in a production stack whose apps get certificates from the ACME CA: it validates http-01 challenges on port 80 of each domain (got 8080)",
        ]);
        // nginx on another port behind a forwarder from 80 is fine; so is the lab's 8080 outside production.
        expect(problemsOf(config({ acme: { email: "ops@example.com" } }, true, { production: true, loadBalancer: { host: "lb-1", httpPort: 8081, publicPort: 80 } }))).toEqual([]);
        expect(problemsOf(config({ acme: { email: "ops@example.com" } }, true, { loadBalancer: { host: "lb-1", publicPort: 8080 } }))).toEqual([]);
    });

    it("refuses an app tls that is not true, false or {certificate, keySecret}", () => {
        expect(problemsOf(config(undefined, "yes"))).toEqual([
            "berth:apps[0].tls: must be true (a certificate from berth:tls.acme), false (HTTP only) or {certificate, keySecret} (one you provide) (got a string)",
        ]);
    });
});

describe("a certificate the user provides", () => {
    const good = makeCertificate(scratch, ["shop.example.com", "www.shop.example.com"], validFor(30));
    const other = makeCertificate(scratch, ["other.example.com"], validFor(30));
    const expired = makeCertificate(scratch, ["shop.example.com"], { from: new Date("2024-01-01T00:00:00Z"), to: new Date("2024-04-01T00:00:00Z") });

    function stack(certificate: string, key: string | undefined): RawConfig {
        return {
            ...config(undefined, { certificate, keySecret: "TLS_KEY" }),
            secrets: key === undefined ? { shop: { SECRET_KEY: "x" } } : { shop: { TLS_KEY: key } },
        };
    }

    function problems(raw: RawConfig): string[] {
        try {
            validateStackConfig(raw);
            return [];
        } catch (error) {
            return (error as { problems: { propertyPath: string; reason: string }[] }).problems.map((problem) => `${problem.propertyPath}: ${problem.reason}`);
        }
    }

    it("is accepted when it covers the domain, is in date and matches its key; the key is never in the spec", () => {
        const { spec, secrets } = validateStackConfig(stack(good.certificate, good.key));
        expect(spec.apps[0].tls).toEqual({ mode: "provided", certificate: good.certificate, keySecret: "TLS_KEY" });
        expect(JSON.stringify(spec)).not.toContain("PRIVATE KEY");
        expect(secrets.shop.TLS_KEY).toBe(good.key);
    });

    it("is refused when it does not match its key, and the message holds no key", () => {
        const found = problems(stack(good.certificate, other.key));
        expect(found).toEqual(["berth:apps[0].tls.certificate: does not match its key (berth:secrets.shop.TLS_KEY): they are not one key pair"]);
    });

    it("is refused when it does not cover the domain", () => {
        expect(problems(stack(other.certificate, other.key))).toEqual([
            'berth:apps[0].tls.certificate: does not cover the domain "shop.example.com" (its names: DNS:other.example.com)',
        ]);
    });

    it("is refused when it has expired", () => {
        expect(problems(stack(expired.certificate, expired.key))).toEqual([
            "berth:apps[0].tls.certificate: expired on 2024-04-01T00:00:00.000Z: renew it and set the new chain",
        ]);
        expect(providedCertificateProblem(good.certificate, good.key, "k", "shop.example.com", new Date(Date.now() + 31 * 24 * 3600 * 1000))).toMatch(/^expired on /);
    });

    it("is refused when its chain holds a private key, which plain config and state would keep in clear text", () => {
        expect(problems(stack(`${good.certificate}${good.key}`, good.key))).toEqual([
            "berth:apps[0].tls.certificate: holds a private key: plain config and state would keep it in clear text; the key belongs in berth:secrets.shop.TLS_KEY (a secret), the certificate here without it",
        ]);
    });

    it("is refused when its key secret is missing or not a key, or it is not PEM", () => {
        expect(problems(stack(good.certificate, undefined))).toEqual([
            "berth:apps[0].tls.keySecret: names no entry of berth:secrets.shop: set the key with `pulumi config set --secret --path 'berth:secrets.shop.TLS_KEY' < key.pem`",
        ]);
        expect(problems(stack(good.certificate, "not a key"))).toEqual([
            "berth:apps[0].tls.certificate: cannot be checked against its key: berth:secrets.shop.TLS_KEY is not a PEM private key",
        ]);
        expect(problems(stack("hello", good.key))).toEqual([
            "berth:apps[0].tls.certificate: must be a PEM certificate chain, the domain's certificate first (-----BEGIN CERTIFICATE----- ...)",
        ]);
    });
});
