import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hostKeyFingerprint, parseHostKey } from "../../../components/ssh/hostKeys";
import { HostKeyScanner, verifyHostKeys } from "../../../stacks/hostKeys";
import { temporaryDirectory } from "../../support/files";

const scratch = temporaryDirectory("verify-host-keys");
let generated = 0;
function newKey(): string {
    const path = join(scratch, `key-${generated++}`);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path]);
    return readFileSync(`${path}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
}

/** A host that offers these keys, as ssh-keyscan prints them; records that it was asked. */
function offering(keys: Record<string, string | Error>): HostKeyScanner & { asked: string[] } {
    const asked: string[] = [];
    const scan = async (address: string, port: number) => {
        asked.push(`${address}:${port}`);
        const key = keys[`${address}:${port}`];
        if (key instanceof Error) {
            throw key;
        }
        return key ? `[${address}]:${port} ${key}\n` : "";
    };
    return Object.assign(scan, { asked });
}

const web1 = { name: "web-1", address: "127.0.0.1", sshPort: 2201 };
const web2 = { name: "web-2", address: "127.0.0.1", sshPort: 2202 };

describe("verifying host keys before anything connects", () => {
    it("learns each host's key at first use and returns it for pinning", async () => {
        const [one, two] = [newKey(), newKey()];
        expect(await verifyHostKeys([web1, web2], undefined, offering({ "127.0.0.1:2201": one, "127.0.0.1:2202": two })))
            .toEqual({ "web-1": one, "web-2": two });
    });

    it("accepts the pinned key, and refuses another one with both fingerprints", async () => {
        const [pinned, other] = [newKey(), newKey()];
        expect(await verifyHostKeys([web1], { "web-1": pinned }, offering({ "127.0.0.1:2201": pinned }))).toEqual({ "web-1": pinned });
        const refusal = verifyHostKeys([web1, web2], { "web-1": pinned }, offering({ "127.0.0.1:2201": other, "127.0.0.1:2202": newKey() }));
        await expect(refusal).rejects.toThrow("the host key of web-1 ([127.0.0.1]:2201) has changed");
        await expect(refusal).rejects.toThrow(hostKeyFingerprint(parseHostKey(pinned)!));
        await expect(refusal).rejects.toThrow(hostKeyFingerprint(parseHostKey(other)!));
    });

    it("prefers berth:hosts[].hostKey over the pin: how a rebuilt host's new key is accepted", async () => {
        const [pinned, rebuilt] = [newKey(), newKey()];
        const configured = { ...web1, configuredKey: rebuilt };
        expect(await verifyHostKeys([configured], { "web-1": pinned }, offering({ "127.0.0.1:2201": rebuilt }))).toEqual({ "web-1": rebuilt });
        await expect(verifyHostKeys([configured], {}, offering({ "127.0.0.1:2201": pinned }))).rejects.toThrow("known (berth:hosts[].hostKey)");
    });

    it("keeps a known key when the host cannot be reached now, and refuses to guess an unknown one", async () => {
        const pinned = newKey();
        const away = offering({ "127.0.0.1:2201": new Error("Connection refused") });
        expect(await verifyHostKeys([web1], { "web-1": pinned }, away)).toEqual({ "web-1": pinned });
        await expect(verifyHostKeys([web1], {}, away)).rejects.toThrow(
            "cannot learn the host key of web-1 ([127.0.0.1]:2201): Connection refused. Make it reachable over SSH, or set berth:hosts[].hostKey of web-1",
        );
    });

    it("leaves a key it cannot learn yet unknown in a preview (which connects to nothing), never a changed one", async () => {
        const away = offering({ "127.0.0.1:2201": new Error("Connection refused") });
        expect(await verifyHostKeys([web1], {}, away, { preview: true })).toEqual({ "web-1": undefined });
        const [pinned, other] = [newKey(), newKey()];
        await expect(verifyHostKeys([web1], { "web-1": pinned }, offering({ "127.0.0.1:2201": other }), { preview: true })).rejects.toThrow("has changed");
    });

    it("asks a host only for the known key's type, and for every type when it has none of it any more", async () => {
        const [pinned, other] = [newKey(), newKey()];
        const types: (string | undefined)[] = [];
        const recordTypes = (keys: string[]): HostKeyScanner => async (address, port, type) => {
            types.push(type);
            return keys.filter((key) => !type || key.startsWith(`${type} `)).map((key) => `[${address}]:${port} ${key}\n`).join("");
        };
        expect(await verifyHostKeys([web1], { "web-1": pinned }, recordTypes([pinned]))).toEqual({ "web-1": pinned });
        expect(types).toEqual(["ssh-ed25519"]);
        const ecdsaOnly = `ecdsa-sha2-nistp256 ${Buffer.concat([Buffer.from([0, 0, 0, 19]), Buffer.from("ecdsa-sha2-nistp256"), Buffer.alloc(8)]).toString("base64")}`;
        types.length = 0;
        await expect(verifyHostKeys([web1], { "web-1": other }, recordTypes([ecdsaOnly]))).rejects.toThrow("has changed");
        expect(types).toEqual(["ssh-ed25519", undefined]);
    });

    it("reads only string pins from the recorded output", async () => {
        const key = newKey();
        expect(await verifyHostKeys([web1], { "web-1": { not: "a key" } }, offering({ "127.0.0.1:2201": key }))).toEqual({ "web-1": key });
        expect(await verifyHostKeys([web1], "garbage", offering({ "127.0.0.1:2201": key }))).toEqual({ "web-1": key });
    });
});
