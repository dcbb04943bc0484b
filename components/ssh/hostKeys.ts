import { createHash } from "node:crypto";

/**
 * SSH host keys: berth verifies every connection to a host against one known
 * key, on both transports (the system `ssh` the docker provider runs, and
 * the remote commands' own SSH client). Pure: parsing, fingerprints, the
 * options that make OpenSSH check exactly that key, and the messages.
 */

/** A public key as OpenSSH writes it: `ssh-ed25519 AAAA...`, without a comment. */
export interface HostKey {
    type: string;
    /** The base64 key blob. */
    blob: string;
}

/**
 * Key types berth accepts, in the order it pins them when a host offers
 * several: the order in which Go's SSH client (golang.org/x/crypto/ssh,
 * what the command provider dials with) negotiates host key algorithms by
 * default, so the key it is shown is the pinned one whether or not it
 * restricts the algorithms to the pinned key's. OpenSSH is told the type.
 */
export const HOST_KEY_TYPES = ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-ed25519"] as const;

/** Parses one public key line (`type blob [comment]`), or undefined when it is not one. */
export function parseHostKey(line: string): HostKey | undefined {
    const [type, blob, ...rest] = line.trim().split(/\s+/);
    if (!type || !blob || rest.some((word) => /[\r\n]/.test(word)) || !(HOST_KEY_TYPES as readonly string[]).includes(type)) {
        return undefined;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) {
        return undefined;
    }
    // The blob starts with its own type name: a line whose two halves disagree is not a key.
    const decoded = Buffer.from(blob, "base64");
    const nameLength = decoded.length >= 4 ? decoded.readUInt32BE(0) : -1;
    const embeddedType = nameLength > 0 && nameLength < 64 ? decoded.subarray(4, 4 + nameLength).toString("latin1") : "";
    return embeddedType === type ? { type, blob } : undefined;
}

/** `type blob`, the form remote commands' `hostKey` takes (authorized_keys format). */
export function formatHostKey(key: HostKey): string {
    return `${key.type} ${key.blob}`;
}

/** OpenSSH's fingerprint of a key: `SHA256:` and the unpadded base64 of the blob's SHA-256. */
export function hostKeyFingerprint(key: HostKey): string {
    return `SHA256:${createHash("sha256").update(Buffer.from(key.blob, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/** The host's name in known_hosts: the address, or `[address]:port` off port 22. */
export function knownHostsName(address: string, port: number): string {
    return port === 22 ? address : `[${address}]:${port}`;
}

/** The keys in ssh-keyscan's output (`name type blob` lines), in the order given. */
export function parseScannedHostKeys(scanned: string): HostKey[] {
    return scanned
        .split("\n")
        .filter((line) => line.trim() && !line.startsWith("#"))
        .map((line) => parseHostKey(line.trim().split(/\s+/).slice(1).join(" ")))
        .filter((key): key is HostKey => key !== undefined);
}

/** The key berth pins among those a host offers: the first type of HOST_KEY_TYPES it has. */
export function preferredHostKey(keys: HostKey[]): HostKey | undefined {
    for (const type of HOST_KEY_TYPES) {
        const found = keys.find((key) => key.type === type);
        if (found) {
            return found;
        }
    }
    return undefined;
}

/** Whether two keys are the same key. */
export function sameHostKey(left: HostKey, right: HostKey): boolean {
    return left.type === right.type && left.blob === right.blob;
}

/**
 * Options for the system `ssh` that accept exactly this host key and no
 * other: no known_hosts file is read or written, the one key comes from
 * the options themselves (so the provider's state holds all it needs, and
 * `pulumi destroy` on another machine checks the same key), and strict
 * checking refuses anything else.
 */
export function sshHostKeyOptions(address: string, port: number, key: HostKey): string[] {
    return [
        "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", `KnownHostsCommand=/bin/echo ${knownHostsName(address, port)} ${formatHostKey(key)}`,
        "-o", `HostKeyAlgorithms=${key.type === "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256" : key.type}`,
    ];
}

/** The refusal when a host offers another key than the one berth knows, as OpenSSH words it, with both fingerprints. */
export function changedHostKeyMessage(host: string, address: string, port: number, known: HostKey, offered: HostKey, knownFrom: string): string {
    return [
        `berth: the host key of ${host} (${knownHostsName(address, port)}) has changed: nothing was deployed.`,
        `  known (${knownFrom}): ${known.type} ${hostKeyFingerprint(known)}`,
        `  offered now: ${offered.type} ${hostKeyFingerprint(offered)}`,
        "Someone could be intercepting the connection, or the host was rebuilt. If you rebuilt it and have checked the new key",
        `out of band, set berth:hosts[].hostKey of ${host} to it (\`ssh-keyscan -p ${port} ${address}\` shows what it offers).`,
    ].join("\n");
}
