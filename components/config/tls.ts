import { createPrivateKey, X509Certificate } from "node:crypto";
import { ENV_KEY, ENV_KEY_RULE, isImageReference, IMAGE_REFERENCE_RULE, isPinnedImageReference } from "./patterns";
import { ConfigReader, kindOf } from "./reader";
import {
    AppSecrets, AppSpec, AppTlsSpec, DEFAULT_ACME_CLIENT_IMAGE, LETS_ENCRYPT_DIRECTORY, LETS_ENCRYPT_STAGING_DIRECTORY, TlsSpec,
} from "./types";

const ROOT = "berth:tls";
const TLS_KEYS = ["acme", "renewDaysBefore", "hstsMaxAgeSeconds", "ocspStapling"] as const;
const ACME_KEYS = ["directory", "email", "caCertificatesFile", "clientImage"] as const;
const PROVIDED_KEYS = ["certificate", "keySecret"] as const;

/** Names `berth:tls.acme.directory` may use for Let's Encrypt's directories. */
const DIRECTORY_NAMES: Record<string, string> = {
    "letsencrypt": LETS_ENCRYPT_DIRECTORY,
    "letsencrypt-staging": LETS_ENCRYPT_STAGING_DIRECTORY,
};

/** A name a certificate from an ACME CA over http-01 can cover: a DNS name of two labels or more, no wildcard, no IP address. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.(?=[a-z0-9-]*[a-z])[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const DNS_NAME_RULE = "a DNS name of two labels or more (letters, digits, '-'; like shop.example.com): not an IP address, not a wildcard (http-01 cannot validate either)";
const EMAIL = /^[^\s@<>"',;]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/** `berth:tls`, with every default applied (Let's Encrypt, renewal 30 days before expiry, no HSTS). */
export function readTls(reader: ConfigReader, value: unknown, production: boolean): TlsSpec {
    const raw = value === undefined ? {} : reader.object(value, ROOT);
    reader.knownKeys(raw, ROOT, TLS_KEYS);
    const acmePath = `${ROOT}.acme`;
    const acme = raw.acme === undefined ? {} : reader.object(raw.acme, acmePath);
    reader.knownKeys(acme, acmePath, ACME_KEYS);
    const configuredDirectory = reader.string(acme.directory, `${acmePath}.directory`, "letsencrypt");
    const directory = DIRECTORY_NAMES[configuredDirectory] ?? configuredDirectory;
    if (directory && !isHttpsUrl(directory)) {
        reader.problem(`${acmePath}.directory`, `must be letsencrypt, letsencrypt-staging or an RFC 8555 directory URL starting with https:// (got ${JSON.stringify(configuredDirectory)})`);
    }
    const email = reader.string(acme.email, `${acmePath}.email`, "");
    if (email && !EMAIL.test(email)) {
        reader.problem(`${acmePath}.email`, `must be an e-mail address like ops@example.com (got ${JSON.stringify(email)})`);
    }
    const caCertificatesFile = acme.caCertificatesFile === undefined ? undefined : reader.string(acme.caCertificatesFile, `${acmePath}.caCertificatesFile`);
    if (caCertificatesFile !== undefined && /[\0\n\r]/.test(caCertificatesFile)) {
        reader.problem(`${acmePath}.caCertificatesFile`, "must be a file path on one line");
    }
    const clientImage = reader.string(acme.clientImage, `${acmePath}.clientImage`, DEFAULT_ACME_CLIENT_IMAGE);
    if (clientImage && !isImageReference(clientImage)) {
        reader.problem(`${acmePath}.clientImage`, `must be ${IMAGE_REFERENCE_RULE} (got ${JSON.stringify(clientImage)})`);
    } else if (production && clientImage && !isPinnedImageReference(clientImage)) {
        reader.problem(`${acmePath}.clientImage`, `must name a version in a production stack, like ${DEFAULT_ACME_CLIENT_IMAGE} (got ${JSON.stringify(clientImage)})`);
    }
    return {
        acme: { directory, email, clientImage, ...(caCertificatesFile ? { caCertificatesFile } : {}) },
        // Let's Encrypt's certificates last 90 days (fewer with its short-lived profiles).
        // At least a week: berth status calls a certificate with less left than that a failing renewal.
        renewDaysBefore: reader.integer(raw.renewDaysBefore, `${ROOT}.renewDaysBefore`, 30, { min: 7, max: 89 }),
        hstsMaxAgeSeconds: reader.integer(raw.hstsMaxAgeSeconds, `${ROOT}.hstsMaxAgeSeconds`, 0, { min: 0, max: 63072000 }),
        ocspStapling: reader.boolean(raw.ocspStapling, `${ROOT}.ocspStapling`, false),
    };
}

/** `berth:apps[].tls`: true (the ACME CA), false, or `{certificate, keySecret}`. Default: on in production. */
export function readAppTls(reader: ConfigReader, value: unknown, path: string, production: boolean): AppTlsSpec {
    if (value === undefined) {
        return production ? { mode: "acme" } : { mode: "off" };
    }
    if (typeof value === "boolean" || value === "true" || value === "false") {
        return value === true || value === "true" ? { mode: "acme" } : { mode: "off" };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        reader.problem(path, `must be true (a certificate from berth:tls.acme), false (HTTP only) or {certificate, keySecret} (one you provide) (got ${kindOf(value)})`);
        return { mode: "off" };
    }
    const raw = value as Record<string, unknown>;
    reader.knownKeys(raw, path, PROVIDED_KEYS);
    const certificate = reader.string(raw.certificate, `${path}.certificate`);
    const keySecret = reader.string(raw.keySecret, `${path}.keySecret`);
    if (keySecret && !ENV_KEY.test(keySecret)) {
        reader.problem(`${path}.keySecret`, `must name an entry of berth:secrets.<app>: ${ENV_KEY_RULE}`);
    }
    return { mode: "provided", certificate, keySecret };
}

/**
 * What TLS needs across keys: a DNS name per HTTPS domain, an e-mail for
 * the ACME account, and a provided certificate that parses, is in date,
 * covers the domain and matches its key (in `berth:secrets`). Messages
 * never repeat a key.
 */
export function checkTls(reader: ConfigReader, tls: TlsSpec, apps: AppSpec[], secrets: AppSecrets, now: Date, http: { production: boolean; publicPort: number }): void {
    apps.forEach((app, index) => {
        const path = `berth:apps[${index}]`;
        if (app.tls.mode === "off") {
            return;
        }
        if (app.domain && !DNS_NAME.test(app.domain.toLowerCase())) {
            reader.problem(`${path}.domain`, `must be ${DNS_NAME_RULE} when ${path}.tls is on (got ${JSON.stringify(app.domain)})`);
        }
        if (app.tls.mode === "acme") {
            return;
        }
        const { certificate, keySecret } = app.tls;
        const key = secrets[app.name]?.[keySecret];
        if (keySecret && key === undefined) {
            reader.problem(`${path}.tls.keySecret`, `names no entry of berth:secrets.${app.name}: set the key with \`pulumi config set --secret --path 'berth:secrets.${app.name}.${keySecret}' < key.pem\``);
        }
        if (certificate) {
            const problem = providedCertificateProblem(certificate, key, `berth:secrets.${app.name}.${keySecret}`, app.domain, now);
            if (problem) {
                reader.problem(`${path}.tls.certificate`, problem);
            }
        }
    });
    // http-01 validates on port 80 of the domain: in production that is where users reach nginx too.
    if (http.production && apps.some((app) => app.tls.mode === "acme") && http.publicPort !== 80) {
        reader.problem("berth:loadBalancer.publicPort", `must be 80 in a production stack whose apps get certificates from the ACME CA: it validates http-01 challenges on port 80 of each domain (got ${http.publicPort})`);
    }
    if (apps.some((app) => app.tls.mode === "acme") && !tls.acme.email) {
        const which = apps.flatMap((app, index) => (app.tls.mode === "acme" ? [`berth:apps[${index}]`] : [])).join(", ");
        reader.problem(`${ROOT}.acme.email`, `must be set: ${which} get certificates from ${tls.acme.directory}, whose account needs an e-mail (expiry and policy notices)`);
    }
}

/** Why a provided certificate chain cannot serve the domain with the key, or undefined. */
export function providedCertificateProblem(chain: string, key: string | undefined, keyPath: string, domain: string, now: Date): string | undefined {
    const [first, ...intermediates] = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (first === undefined) {
        return "must be a PEM certificate chain, the domain's certificate first (-----BEGIN CERTIFICATE----- ...)";
    }
    if (/PRIVATE KEY-----/.test(chain)) {
        return `holds a private key: plain config and state would keep it in clear text; the key belongs in ${keyPath} (a secret), the certificate here without it`;
    }
    let leaf: X509Certificate;
    try {
        leaf = new X509Certificate(first);
        intermediates.forEach((block) => new X509Certificate(block));
    } catch {
        return "holds a certificate that does not parse (PEM, X.509)";
    }
    if (new Date(leaf.validTo).getTime() <= now.getTime()) {
        return `expired on ${new Date(leaf.validTo).toISOString()}: renew it and set the new chain`;
    }
    if (new Date(leaf.validFrom).getTime() > now.getTime()) {
        return `is not valid before ${new Date(leaf.validFrom).toISOString()}`;
    }
    if (domain && leaf.checkHost(domain, { subject: "never" }) === undefined) {
        return `does not cover the domain ${JSON.stringify(domain)} (its names: ${leaf.subjectAltName ?? "none"})`;
    }
    if (key !== undefined) {
        try {
            if (!leaf.checkPrivateKey(createPrivateKey(key))) {
                return `does not match its key (${keyPath}): they are not one key pair`;
            }
        } catch {
            return `cannot be checked against its key: ${keyPath} is not a PEM private key`;
        }
    }
    return undefined;
}

function isHttpsUrl(value: string): boolean {
    try {
        const url = new URL(value);
        return url.protocol === "https:" && url.username === "" && url.password === "" && !/[\s'"\\]/.test(value);
    } catch {
        return false;
    }
}
