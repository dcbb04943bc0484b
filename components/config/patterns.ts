import { IpVersion, networkRange, NetworkRange, parseIpv4, parseIpv6 } from "./networks";

/** Shapes of config values, kept apart so error messages and tests share them. */

export const NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const NAME_RULE = "lowercase letters, digits and '-', starting with a letter, at most 40 characters";

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isAddress(value: string): boolean {
    if (/^[\d.]+$/.test(value)) {
        return parseIpv4(value) !== undefined;
    }
    return HOSTNAME.test(value) || (value.includes(":") && parseIpv6(value) !== undefined);
}
export const ADDRESS_RULE = "an IPv4 address, an IPv6 address or a DNS name";

export const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `repository[:tag][@sha256:<digest>]`, as `docker pull` takes it: nothing in it can reach a shell or an option. */
export function isImageReference(value: string): boolean {
    const [name, digest, ...rest] = value.split("@");
    if (rest.length > 0 || (digest !== undefined && !IMAGE_DIGEST.test(digest))) {
        return false;
    }
    const tagAt = name.lastIndexOf(":");
    const hasTag = tagAt > name.lastIndexOf("/");
    return hasTag ? IMAGE_REPOSITORY.test(name.slice(0, tagAt)) && IMAGE_TAG.test(name.slice(tagAt + 1)) : IMAGE_REPOSITORY.test(name);
}
export const IMAGE_REFERENCE_RULE = "an image reference: repository[:tag] or repository@sha256:<digest>, like nginx:1.27-bookworm";

/**
 * Tags a production stack may deploy: a version or a commit, names that are
 * pushed once. `latest`, `main`, `stable`, ... move: the stack would record
 * a release it cannot go back to. (berth cannot see a re-pushed version;
 * the registry's tag immutability can.)
 */
const VERSIONED_TAG = /^v?\d+(\.\d+)*(-[0-9A-Za-z][0-9A-Za-z_.-]*)?$|^(sha-)?[0-9a-f]{7,40}$/;
export function isVersionedTag(tag: string): boolean {
    return VERSIONED_TAG.test(tag);
}
export const VERSIONED_TAG_RULE = "a version such as v1.4.2 or 2026.11.1 (optionally with a suffix like -rc1), or a commit hash of 7 to 40 hex digits (optionally sha-<hash>)";

/** Release versions and explicit tag refs: v1.2.3, 2024.05.1, tags/anything. */
const TAG_REF = /^(refs\/tags\/|tags\/)[A-Za-z0-9_][A-Za-z0-9_./-]*$|^v?\d+(\.\d+)*([-+][0-9A-Za-z.-]+)?$/;
export function isTagRef(ref: string): boolean {
    return TAG_REF.test(ref) && isGitRefName(ref);
}

/**
 * A name git accepts for a branch or tag (git check-ref-format), narrowed to
 * characters no shell treats specially, and never option-like: it reaches
 * `git rev-parse` and a release directory's name.
 */
export function isGitRefName(name: string): boolean {
    return name.length <= 200
        && /^[A-Za-z0-9_][A-Za-z0-9_.+\/-]*$/.test(name)
        && !["..", "//", "/.", "@{"].some((sequence) => name.includes(sequence))
        && !name.endsWith("/") && !name.endsWith(".")
        && !name.split("/").some((component) => component.endsWith(".lock"));
}
export const GIT_BRANCH_RULE = "a git branch name: letters, digits and '-', '_', '.', '/', '+', not starting with '-' or '.', without '..', '//', '/.' or a trailing '/', '.' or '.lock', at most 200 characters";

/** A Linux login name as useradd takes it by default: it goes into `ssh://<user>@host` and ssh's `-l`. */
export const SSH_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
export const SSH_USER_RULE = "a user name: lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters";

const URL_PATH_SEGMENT = /^([A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/;
const URL_QUERY = /^([A-Za-z0-9._~=&-]|%[0-9A-Fa-f]{2})*$/;
/**
 * The path health checks request: it is written into the container's Python
 * health check and curl's URL, so only plain URL characters, and no `.`/`..`
 * segment that a proxy or framework would resolve elsewhere.
 */
export function isHealthPath(value: string): boolean {
    const [path, query, ...rest] = value.split("?");
    if (value.length > 200 || rest.length > 0 || !path.startsWith("/") || (query !== undefined && !URL_QUERY.test(query))) {
        return false;
    }
    const segments = path.slice(1).split("/");
    // "/" and a trailing "/" leave one empty last segment; "//" is refused.
    return segments.every((segment, index) => segment === "" ? index === segments.length - 1 : URL_PATH_SEGMENT.test(segment) && segment !== "." && segment !== "..");
}
export const HEALTH_PATH_RULE = "a URL path: '/' and segments of letters, digits, '-', '.', '_', '~' or %XX escapes, without '.' or '..' segments, optionally ?query of the same characters and '=', '&', at most 200 characters";

/** Numeric `uid:gid`, each below 2^31. */
export const USER_IDS = /^(0|[1-9]\d{0,9}):(0|[1-9]\d{0,9})$/;
/** Environment variable names: the env file writes them unquoted (`KEY='value'`), so nothing else may pass. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_KEY_RULE = "is not a valid environment variable name: letters, digits and '_', not starting with a digit";
/** Values are quoted in the env file; only a NUL cannot be: no shell variable holds one. */
export const NUL_RULE = "must not contain a NUL character: no shell variable can hold one";
export const WSGI_MODULE = /^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_]*)?$/;
/** A lowercase entrypoint command, then words without shell metacharacters (each becomes one argument of `docker run`). */
export const RELEASE_TASK = /^[a-z][a-z0-9_-]*( [A-Za-z0-9_.,:=/@%+-]+)*$/;

/** An IPv4 or IPv6 network in CIDR notation: 203.0.113.0/24, 2001:db8::/32, with the addresses it covers. */
export function parseCidr(value: string): { version: IpVersion; address: string; prefix: number; range: NetworkRange } | undefined {
    const range = networkRange(value);
    if (!range) {
        return undefined;
    }
    const [address, prefix] = value.split("/");
    return { version: range.version, address, prefix: Number(prefix), range };
}
export const CIDR_RULE = "a CIDR like 203.0.113.0/24 or 2001:db8::/48";

/** RFC 1918 ranges: a VPC's addresses must come from one of them. */
export function isPrivateIpv4Network(address: string): boolean {
    const [first, second] = address.split(".").map(Number);
    return first === 10 || (first === 172 && second >= 16 && second <= 31) || (first === 192 && second === 168);
}

/** An OpenSSH public key line: type, base64 body, optional comment. */
export const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+:=,/-]+)*$/;

/** DigitalOcean slugs: regions (fra1), sizes (s-1vcpu-2gb), images (debian-12-x64). */
export const DIGITALOCEAN_REGION = /^[a-z]{3}\d$/;
export const DIGITALOCEAN_SLUG = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * Names of settings that hold secrets. A production stack refuses them in
 * plain `berth:apps[].env` (validate.ts) and the policy pack in any plain
 * environment: they belong in `berth:secrets`.
 */
export const SECRET_SETTING_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS)/i;
export const SECRET_SETTING_NAME_RULE = "*PASSWORD*, *PASSWD*, *PASSPHRASE*, *SECRET*, *TOKEN*, *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIALS*";

/** What a value that carries a credential looks like, whatever its setting is called; first match wins. */
const CREDENTIAL_SHAPES: [kind: string, shape: RegExp][] = [
    ["a private key", /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/],
    // scheme://user:password@ anywhere in the value (a URL alone, or inside JSON); the user may be empty (redis://:password@).
    ["a URL with a password (scheme://user:password@host)", /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#@]+@/],
    ["a GitHub token", /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/],
    ["a GitLab token", /\bglpat-[A-Za-z0-9_-]{20,}/],
    ["a DigitalOcean token", /\bdo[opr]_v1_[a-f0-9]{64}\b/],
    ["an AWS access key", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
    ["a Stripe secret key", /\b[sr]k_(live|test)_[A-Za-z0-9]{16,}/],
    ["a Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
    ["a Google API key", /\bAIza[0-9A-Za-z_-]{35}/],
    ["a SendGrid key", /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/],
    ["an npm token", /\bnpm_[A-Za-z0-9]{36}\b/],
    ["a Pulumi access token", /\bpul-[a-f0-9]{40}\b/],
    ["an API secret key (sk-...)", /\bsk-(ant-|proj-)?[A-Za-z0-9_-]{32,}/],
    ["a JSON Web Token", /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
];

/**
 * The kind of credential a plain value carries (`a URL with a password`,
 * `a private key`, `a GitHub token`, ...), or undefined. Messages name the
 * kind, never the value.
 */
export function credentialIn(value: string): string | undefined {
    return CREDENTIAL_SHAPES.find(([, shape]) => shape.test(value))?.[0];
}

/** Networks no internet host reaches: RFC 1918, loopback, link-local, IPv6 unique-local. */
export const PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"];
export const PRIVATE_ADDRESS_RULE = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, fc00::/7, fe80::/10 or ::1";

/** An IP address (not a name) inside one of PRIVATE_NETWORKS. */
export function isPrivateAddress(address: string): boolean {
    const host = networkRange(`${address}/${address.includes(":") ? 128 : 32}`);
    return host !== undefined && PRIVATE_NETWORKS.some((cidr) => {
        const network = networkRange(cidr)!;
        return network.version === host.version && network.first <= host.first && host.last <= network.last;
    });
}

/** A tag other than `latest`, or a digest: an image a stack can name again. */
export function isPinnedImageReference(reference: string): boolean {
    const [name, digest] = reference.split("@");
    if (digest !== undefined) {
        return true;
    }
    const tagAt = name.lastIndexOf(":");
    return tagAt > name.lastIndexOf("/") && name.slice(tagAt + 1) !== "latest";
}
