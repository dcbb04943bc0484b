/**
 * IP networks as number ranges, so a set of CIDRs can be judged by what it
 * covers together rather than by its spelling: `0.0.0.0/1` + `128.0.0.0/1`
 * opens exactly what `0.0.0.0/0` does.
 */

export type IpVersion = 4 | 6;

/** A CIDR's addresses, first to last inclusive, as numbers of its family. */
export interface NetworkRange {
    version: IpVersion;
    first: bigint;
    last: bigint;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };
const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

export function parseIpv4(value: string): bigint | undefined {
    const octets = value.split(".");
    if (octets.length !== 4 || !octets.every((octet) => IPV4_OCTET.test(octet))) {
        return undefined;
    }
    return octets.reduce((number, octet) => (number << 8n) | BigInt(Number(octet)), 0n);
}

/** Eight groups of 1-4 hex digits, or fewer around exactly one `::`. Dotted IPv4 tails are not accepted. */
export function parseIpv6(value: string): bigint | undefined {
    const halves = value.split("::");
    if (halves.length > 2) {
        return undefined;
    }
    const groupsOf = (text: string) => (text === "" ? [] : text.split(":"));
    const head = groupsOf(halves[0]);
    const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
    const elided = halves.length === 2 ? 8 - head.length - tail.length : 0;
    if ((halves.length === 1 && head.length !== 8) || (halves.length === 2 && elided < 1)) {
        return undefined;
    }
    const groups = [...head, ...Array<string>(elided).fill("0"), ...tail];
    if (!groups.every((group) => IPV6_GROUP.test(group))) {
        return undefined;
    }
    return groups.reduce((number, group) => (number << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** The addresses of `203.0.113.0/24` or `2001:db8::/32`; host bits below the prefix are ignored, as firewalls do. */
export function networkRange(cidr: string): NetworkRange | undefined {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
    if (!match) {
        return undefined;
    }
    const [, address, prefixText] = match;
    const prefix = Number(prefixText);
    const version: IpVersion = address.includes(":") ? 6 : 4;
    const number = version === 4 ? parseIpv4(address) : parseIpv6(address);
    if (number === undefined || prefix > BITS[version]) {
        return undefined;
    }
    const size = 1n << BigInt(BITS[version] - prefix);
    const first = (number / size) * size;
    return { version, first, last: first + size - 1n };
}

/** Whether the ranges of one family together hold every address of it (gaps, overlaps and order are all allowed). */
export function coversWholeFamily(ranges: NetworkRange[], version: IpVersion): boolean {
    const sorted = ranges.filter((range) => range.version === version).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let firstUncovered = 0n;
    for (const range of sorted) {
        if (range.first > firstUncovered) {
            return false;
        }
        if (range.last + 1n > firstUncovered) {
            firstUncovered = range.last + 1n;
        }
    }
    return firstUncovered === 1n << BigInt(BITS[version]);
}
