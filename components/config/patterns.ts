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

export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const WSGI_MODULE = /^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_]*)?$/;
export const RELEASE_TASK = /^[a-z][a-z0-9_-]*( [^\n]*)?$/;
