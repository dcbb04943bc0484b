/** Shapes of config values, kept apart so error messages and tests share them. */

export const NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const NAME_RULE = "lowercase letters, digits and '-', starting with a letter, at most 40 characters";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:]+$/;

export function isAddress(value: string): boolean {
    if (/^[\d.]+$/.test(value)) {
        return IPV4.test(value);
    }
    return HOSTNAME.test(value) || (value.includes(":") && IPV6.test(value));
}
export const ADDRESS_RULE = "an IPv4 address, an IPv6 address or a DNS name";

export const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Release versions and explicit tag refs: v1.2.3, 2024.05.1, tags/anything. */
const TAG_REF = /^(refs\/tags\/|tags\/)[A-Za-z0-9_][A-Za-z0-9_./-]*$|^v?\d+(\.\d+)*([-+][0-9A-Za-z.-]+)?$/;
export function isTagRef(ref: string): boolean {
    return TAG_REF.test(ref);
}

/** Numeric `uid:gid`, each below 2^31. */
export const USER_IDS = /^(0|[1-9]\d{0,9}):(0|[1-9]\d{0,9})$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const WSGI_MODULE = /^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_]*)?$/;
export const RELEASE_TASK = /^[a-z][a-z0-9_-]*( [^\n]*)?$/;

/** An IPv4 or IPv6 network in CIDR notation: 203.0.113.0/24, 2001:db8::/32. */
export function parseCidr(value: string): { version: 4 | 6; address: string; prefix: number } | undefined {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
    if (!match) {
        return undefined;
    }
    const [, address, prefixText] = match;
    const prefix = Number(prefixText);
    if (IPV4.test(address) && prefix <= 32) {
        return { version: 4, address, prefix };
    }
    if (address.includes(":") && IPV6.test(address) && prefix <= 128) {
        return { version: 6, address, prefix };
    }
    return undefined;
}
export const CIDR_RULE = "a CIDR like 203.0.113.0/24 or 2001:db8::/48";

/** RFC 1918 ranges: a VPC's addresses must come from one of them. */
export function isPrivateIpv4Network(address: string): boolean {
    const [first, second] = address.split(".").map(Number);
    return first === 10 || (first === 172 && second >= 16 && second <= 31) || (first === 192 && second === 168);
}

/** An OpenSSH public key line: type, base64 body, optional comment. */
export const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

/** DigitalOcean slugs: regions (fra1), sizes (s-1vcpu-2gb), images (debian-12-x64). */
export const DIGITALOCEAN_REGION = /^[a-z]{3}\d$/;
export const DIGITALOCEAN_SLUG = /^[a-z0-9][a-z0-9.-]*$/;
