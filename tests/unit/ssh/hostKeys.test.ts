import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
    changedHostKeyMessage, hostKeyFingerprint, knownHostsName, parseHostKey, parseScannedHostKeys, preferredHostKey, sshHostKeyOptions,
} from "../../../components/ssh/hostKeys";
import { temporaryDirectory } from "../../support/files";

describe("SSH host keys", () => {
    const scratch = temporaryDirectory("host-keys");
    // Real keys from OpenSSH's ssh-keygen, so fingerprints can be compared with its own.
    const keyFile = (type: string) => {
        const path = join(scratch, `key-${type}-${Math.random().toString(36).slice(2)}`);
        execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "a comment", "-f", path]);
        return { line: readFileSync(`${path}.pub`, "utf8").trim(), path };
    };

    it("parses public key lines and refuses what is not one", () => {
        const { line } = keyFile("ed25519");
        const [type, blob] = line.split(" ");
        expect(parseHostKey(line)).toEqual({ type, blob });
        expect(parseHostKey(`${type} ${blob}`)).toEqual({ type, blob });
        expect(parseHostKey("")).toBeUndefined();
        expect(parseHostKey("ssh-ed25519")).toBeUndefined();
        expect(parseHostKey(`ssh-dss ${blob}`)).toBeUndefined();
        expect(parseHostKey("ssh-ed25519 not-base64!")).toBeUndefined();
        // A blob whose embedded type is another one.
        expect(parseHostKey(`ecdsa-sha2-nistp256 ${blob}`)).toBeUndefined();
    });

    it("fingerprints keys as OpenSSH does", () => {
        for (const type of ["ed25519", "ecdsa", "rsa"]) {
            const { line, path } = keyFile(type);
            const openssh = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`], { encoding: "utf8" }).split(" ")[1];
            expect(hostKeyFingerprint(parseHostKey(line)!)).toBe(openssh);
        }
    });

    it("reads ssh-keyscan's output and pins what Go's SSH client negotiates first", () => {
        const ed25519 = keyFile("ed25519").line.split(" ").slice(0, 2).join(" ");
        const rsa = keyFile("rsa").line.split(" ").slice(0, 2).join(" ");
        const ecdsa = keyFile("ecdsa").line.split(" ").slice(0, 2).join(" ");
        const keys = parseScannedHostKeys(`# 127.0.0.1:2201 SSH-2.0-OpenSSH_9.2\n[127.0.0.1]:2201 ${rsa}\n[127.0.0.1]:2201 ${ed25519}\n`);
        expect(keys.map((key) => key.type)).toEqual(["ssh-rsa", "ssh-ed25519"]);
        expect(preferredHostKey(keys)?.type).toBe("ssh-rsa");
        expect(preferredHostKey(parseScannedHostKeys(`h ${ed25519}\nh ${ecdsa}\n`))?.type).toBe("ecdsa-sha2-nistp256");
        expect(preferredHostKey(parseScannedHostKeys(`h ${ed25519}\n`))?.type).toBe("ssh-ed25519");
        expect(preferredHostKey([])).toBeUndefined();
    });

    it("makes OpenSSH accept exactly one key, from its options alone", () => {
        const key = parseHostKey(keyFile("ed25519").line)!;
        expect(knownHostsName("203.0.113.7", 22)).toBe("203.0.113.7");
        expect(knownHostsName("127.0.0.1", 2201)).toBe("[127.0.0.1]:2201");
        expect(sshHostKeyOptions("127.0.0.1", 2201, key)).toEqual([
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", `KnownHostsCommand=/bin/echo [127.0.0.1]:2201 ssh-ed25519 ${key.blob}`,
            "-o", "HostKeyAlgorithms=ssh-ed25519",
        ]);
        // OpenSSH itself accepts these options (its config parser, no connection).
        const parsed = execFileSync("ssh", ["-G", ...sshHostKeyOptions("127.0.0.1", 2201, key), "-p", "2201", "127.0.0.1"], { encoding: "utf8" });
        expect(parsed).toContain("stricthostkeychecking true");
        expect(parsed).toContain(`knownhostscommand /bin/echo [127.0.0.1]:2201 ssh-ed25519 ${key.blob}`);
    });

    it("names the host and both fingerprints when the key changed", () => {
        const known = parseHostKey(keyFile("ed25519").line)!;
        const offered = parseHostKey(keyFile("ed25519").line)!;
        const message = changedHostKeyMessage("web-1", "127.0.0.1", 2201, known, offered, "pinned in the stack at first use");
        expect(message).toContain("the host key of web-1 ([127.0.0.1]:2201) has changed: nothing was deployed");
        expect(message).toContain(`known (pinned in the stack at first use): ssh-ed25519 ${hostKeyFingerprint(known)}`);
        expect(message).toContain(`offered now: ssh-ed25519 ${hostKeyFingerprint(offered)}`);
        expect(message).toContain("set berth:hosts[].hostKey of web-1");
    });
});
