// HTTPS through the lab's nginx (127.0.0.1:8443), checked as a browser
// would: the domain as SNI, the chain verified against a given root.
import { connect } from "node:tls";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./processes";

/** Pebble's management interface: its root CA (new at every Pebble start) and how it reports. */
const PEBBLE_MANAGEMENT = "https://172.30.0.2:15000";

/** The lab CA's root (Pebble's, generated when the services container started), written to a file for curl. */
export async function pebbleRootFile(directory: string): Promise<string> {
    const root = await run("curl", ["-fsS", "--insecure", `${PEBBLE_MANAGEMENT}/roots/0`]);
    const file = join(directory, "pebble-root.pem");
    await writeFile(file, root);
    return file;
}

export interface CurlAnswer {
    status: number;
    httpVersion: string;
    /** Where a redirect points. */
    location: string;
    body: string;
}

/**
 * One request with curl to `url` on the lab's nginx: `https://<domain>:8443/...`
 * resolves to 127.0.0.1 and is verified against `rootFile` (curl fails on a
 * chain that does not verify); `http://<domain>:8080/...` too.
 */
export async function curlLab(url: string, rootFile?: string): Promise<CurlAnswer> {
    const { hostname, port } = new URL(url);
    const marker = "\n--berth-curl--\n";
    const output = await run("curl", [
        "-sS", "--max-time", "10", "--resolve", `${hostname}:${port}:127.0.0.1`,
        ...(rootFile ? ["--cacert", rootFile] : []),
        "-w", `${marker}%{http_code} %{http_version} %{redirect_url}`, url,
    ]);
    const [body, meta] = output.split(marker);
    const [status, httpVersion, location = ""] = meta.trim().split(" ");
    return { status: Number(status), httpVersion, location, body };
}

/** The certificate nginx presents for `domain` on 8443 (not verified: to compare which one it is). */
export function servedCertificate(domain: string): Promise<{ fingerprint256: string; serialNumber: string; validTo: string; issuer: string }> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port: 8443, servername: domain, rejectUnauthorized: false }, () => {
            const certificate = socket.getPeerCertificate();
            socket.end();
            resolve({ fingerprint256: certificate.fingerprint256, serialNumber: certificate.serialNumber, validTo: certificate.valid_to, issuer: String(certificate.issuer?.CN ?? "") });
        });
        socket.setTimeout(10_000, () => socket.destroy(new Error(`no TLS handshake with 127.0.0.1:8443 for ${domain} within 10 s`)));
        socket.on("error", reject);
    });
}
