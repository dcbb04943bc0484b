import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificate {
    /** PEM of the certificate (self-signed: it is its own chain and root). */
    certificate: string;
    /** PEM of its private key. */
    key: string;
    certificateFile: string;
    keyFile: string;
}

let serial = 0;

/**
 * A self-signed certificate made by the real openssl, for `names` (its
 * subjectAltName), valid between two dates (`openssl ca` takes any dates,
 * also past ones: an expired certificate is a real one).
 */
export function makeCertificate(directory: string, names: string[], validity: { from: Date; to: Date }): TestCertificate {
    serial += 1;
    const base = join(directory, `certificate-${process.pid}-${serial}`);
    mkdirSync(`${base}.ca/new`, { recursive: true });
    writeFileSync(`${base}.ca/index.txt`, "");
    writeFileSync(`${base}.ca/serial`, "1000\n");
    writeFileSync(`${base}.cnf`, [
        "[ ca ]", "default_ca = test_ca",
        "[ test_ca ]",
        `database = ${base}.ca/index.txt`, `new_certs_dir = ${base}.ca/new`, `serial = ${base}.ca/serial`,
        "default_md = sha256", "policy = any_name", "copy_extensions = copy", "unique_subject = no",
        "[ any_name ]", "commonName = supplied", "",
    ].join("\n"));
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${names[0]}`,
        "-addext", `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")}`, "-addext", "basicConstraints=critical,CA:TRUE",
        "-keyout", `${base}.key`, "-out", `${base}.csr`);
    openssl("ca", "-batch", "-config", `${base}.cnf`, "-selfsign", "-keyfile", `${base}.key`, "-in", `${base}.csr`, "-notext",
        "-startdate", opensslDate(validity.from), "-enddate", opensslDate(validity.to), "-out", `${base}.crt`);
    return {
        certificate: readFileSync(`${base}.crt`, "utf8"),
        key: readFileSync(`${base}.key`, "utf8"),
        certificateFile: `${base}.crt`,
        keyFile: `${base}.key`,
    };
}

const DAY_MS = 24 * 3600 * 1000;

/** Valid from yesterday for `days` days. */
export function validFor(days: number): { from: Date; to: Date } {
    const now = Date.now();
    return { from: new Date(now - DAY_MS), to: new Date(now + days * DAY_MS) };
}

function opensslDate(date: Date): string {
    return date.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
}
