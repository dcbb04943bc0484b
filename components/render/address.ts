/**
 * Network addresses as URLs and `host:port` pairs write them: an IPv6
 * address goes in brackets (`[2001:db8::1]:8001`). Bare, `2001:db8::1:8001`
 * reads as a host name to nginx, curl and ssh:// URLs alike.
 */

/** The host part of a URL or a `host:port` pair. */
export function urlHost(address: string): string {
    return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

/** `address:port`, with an IPv6 address in brackets. */
export function hostAndPort(address: string, port: number): string {
    return `${urlHost(address)}:${port}`;
}
