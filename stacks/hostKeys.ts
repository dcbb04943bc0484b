import { execFile } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import {
    changedHostKeyMessage, formatHostKey, HostKey, hostKeyFingerprint, knownHostsName, parseHostKey, parseScannedHostKeys,
    preferredHostKey, sameHostKey,
} from "../components/ssh/hostKeys";

/** A listed host whose key berth must know before it connects. */
export interface HostKeyTarget {
    name: string;
    address: string;
    sshPort: number;
    /** `berth:hosts[].hostKey`, when the user gave it. */
    configuredKey?: string;
}

/** Asks a host for its public host keys (of the given type only, when known): ssh-keyscan's output. */
export type HostKeyScanner = (address: string, port: number, type?: string) => Promise<string>;

/** ssh-keyscan's name for a key type: one connection per type asked. */
function keyscanType(type: string | undefined): string {
    if (!type) {
        return "ecdsa,rsa,ed25519";
    }
    return type.startsWith("ecdsa-") ? "ecdsa" : type === "ssh-rsa" ? "rsa" : "ed25519";
}

/** The real scanner: OpenSSH's ssh-keyscan, 5 s per host. */
export const sshKeyscan: HostKeyScanner = (address, port, type) =>
    new Promise((resolve, reject) => {
        execFile("ssh-keyscan", ["-T", "5", "-p", String(port), "-t", keyscanType(type), "--", address], { timeout: 20_000 }, (error, stdout, stderr) => {
            if (error && !stdout) {
                reject(new Error(stderr.trim() || error.message));
            } else {
                resolve(stdout);
            }
        });
    });

/**
 * The host key of every listed host, verified before anything connects:
 * the key in `berth:hosts[].hostKey` if given, else the one this stack
 * pinned at first use (its `hostKeys` output), else what the host offers
 * now (first use: pinned from here on). A host offering another key than
 * the known one stops the deploy with both fingerprints.
 *
 * One Output for all hosts, which every host's connections wait for: a
 * changed key on one host means nothing changes on any host.
 */
export function verifiedHostKeys(targets: HostKeyTarget[], pinned: pulumi.Output<unknown>, scan: HostKeyScanner): pulumi.Output<Record<string, string>> {
    const preview = pulumi.runtime.isDryRun();
    return pinned.apply(async (recorded) => {
        const keys = await verifyHostKeys(targets, recorded, scan, { preview });
        // A preview that cannot learn a key yet plans with it unknown, as with any value only `up` learns.
        return Object.values(keys).includes(undefined) ? (pulumi.unknown as Record<string, string>) : (keys as Record<string, string>);
    });
}

/**
 * verifiedHostKeys without Pulumi: the recorded `hostKeys` output in, each
 * host's key line out, or the refusal. In a preview, a host whose key is
 * not known and cannot be learned now maps to undefined (a preview connects
 * to nothing; the `up` learns it or refuses).
 */
export async function verifyHostKeys(
    targets: HostKeyTarget[], recorded: unknown, scan: HostKeyScanner, options: { preview?: boolean } = {},
): Promise<Record<string, string | undefined>> {
    const pins = (recorded && typeof recorded === "object" ? recorded : {}) as Record<string, unknown>;
    const pinOf = (name: string) => (typeof pins[name] === "string" ? (pins[name] as string) : undefined);
    const verified = await Promise.all(targets.map((target) => verifyHostKey(target, pinOf(target.name), scan, options.preview ?? false)));
    return Object.fromEntries(targets.map((target, index) => [target.name, verified[index] && formatHostKey(verified[index]!)]));
}

async function verifyHostKey(target: HostKeyTarget, pinnedLine: string | undefined, scan: HostKeyScanner, preview: boolean): Promise<HostKey | undefined> {
    const configured = target.configuredKey ? parseHostKey(target.configuredKey) : undefined;
    const pinned = pinnedLine ? parseHostKey(pinnedLine) : undefined;
    const known = configured ?? pinned;
    let offered: HostKey[] = [];
    let unreachable = "";
    try {
        // Knowing the key, only its type is asked for: one connection, not three.
        offered = parseScannedHostKeys(await scan(target.address, target.sshPort, known?.type));
        if (known && offered.length === 0) {
            // It answers but has no key of that type any more: what does it offer instead?
            offered = parseScannedHostKeys(await scan(target.address, target.sshPort));
        }
    } catch (error) {
        unreachable = (error as Error).message;
    }
    if (known) {
        // Unreachable now: the connections themselves accept only the known key.
        if (offered.length > 0 && !offered.some((key) => sameHostKey(key, known))) {
            const offeredKey = offered.find((key) => key.type === known.type) ?? preferredHostKey(offered)!;
            throw new Error(changedHostKeyMessage(target.name, target.address, target.sshPort, known, offeredKey,
                configured ? "berth:hosts[].hostKey" : "pinned in the stack at first use"));
        }
        return known;
    }
    const first = preferredHostKey(offered);
    if (!first && preview) {
        return undefined;
    }
    if (!first) {
        throw new Error(
            `berth: cannot learn the host key of ${target.name} (${knownHostsName(target.address, target.sshPort)}): ` +
            `${unreachable || "it offered no key berth accepts"}. Make it reachable over SSH, or set berth:hosts[].hostKey of ${target.name} ` +
            "to its public host key (from the machine itself, or your provider's console).",
        );
    }
    // Trust on first use, as OpenSSH asks a user to: from now on only this key is accepted.
    pulumi.log.info(`berth: pinned the host key of ${target.name} at first use: ${first.type} ${hostKeyFingerprint(first)}`);
    return first;
}
