import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../../components/config";
import { AccessorySpec } from "../../../components/config/types";
import { ACCESSORIES_DIRECTORY } from "../../../components/render/layout";
import { applyPostgresPassword, checkPostgresMajorVersion, installAccessorySecrets, renderRedisConfig } from "../../../components/shell/accessories";
import { labHostsConfig } from "../../support/labHosts";

function accessories(): AccessorySpec[] {
    return validateConfig({
        hosts: [...labHostsConfig(), { name: "data-1", address: "127.0.0.1", sshPort: 2205, privateAddress: "172.30.0.15", roles: ["data"] }],
        loadBalancer: { host: "lb-1" },
        apps: [{ name: "shop", domain: "shop.localhost", image: { repository: "shop", tag: "v1" }, webPort: 8001, hosts: { web: ["web-1"] } }],
        accessories: [{ name: "db", image: "postgres:15.8", host: "data-1" }, { name: "cache", image: "redis:7.4", host: "data-1" }],
        secrets: { db: { PASSWORD: "x" } },
    }).accessories;
}

/** Runs a script under dash with berth's accessories directory moved into `root`. */
function runInto(root: string, script: string, input: string): void {
    execFileSync("dash", ["-c", script.split(ACCESSORIES_DIRECTORY).join(root)], { input });
}

const line = (file: string, content: string) => `${file} ${Buffer.from(content).toString("base64")}\n`;

describe("the accessory scripts on the data host", () => {
    const [db, cache] = accessories();
    const roots: string[] = [];
    const temporaryRoot = () => {
        roots.push(mkdtempSync(join(tmpdir(), "berth-accessories-")));
        return roots[roots.length - 1];
    };
    afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

    it("install secret files from stdin: 0644 in a 0755 directory under a 0700 one, removing those no longer listed", () => {
        const root = temporaryRoot();
        const script = installAccessorySecrets(db);
        runInto(root, script, line("PASSWORD", "first 'password'\nwith a newline") + line("OLD", "stale"));
        runInto(root, script, line("PASSWORD", "second; $(rm -rf /)"));
        const secrets = join(root, "db/secrets");
        expect(readdirSync(secrets)).toEqual(["PASSWORD"]);
        expect(readFileSync(join(secrets, "PASSWORD"), "utf8")).toBe("second; $(rm -rf /)");
        expect([statSync(join(root, "db")).mode & 0o777, statSync(secrets).mode & 0o777, statSync(join(secrets, "PASSWORD")).mode & 0o777]).toEqual([0o700, 0o755, 0o644]);
        expect(readdirSync(join(root, "db"))).toEqual(["secrets"]);
    });

    it("refuse a file name that could leave the secrets directory", () => {
        const root = temporaryRoot();
        expect(() => runInto(root, installAccessorySecrets(db), line("../../etc/passwd", "x"))).toThrow(/a secret file name must be letters, digits and _.-/);
        expect(() => runInto(root, installAccessorySecrets(db), line(".hidden", "x"))).toThrow();
        expect(readdirSync(join(root, "db/secrets"))).toEqual([]);
    });

    it("change a running PostgreSQL's password from the file inside the container, never on a command line", () => {
        const script = applyPostgresPassword(db, "accessory_db");
        execFileSync("dash", ["-n"], { input: script });
        expect(script).toContain("docker exec -i accessory_db psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 -v role=db -U db -d db");
        expect(script).toContain("\\set password `cat /run/secrets/PASSWORD`");
        expect(script).toContain(`ALTER ROLE :"role" WITH PASSWORD :'\\''password'\\'';`);
    });

    it("check the volume's PostgreSQL major version against the image's before anything is replaced", () => {
        const script = checkPostgresMajorVersion(db);
        execFileSync("dash", ["-n"], { input: script });
        expect(script).toContain("docker volume inspect berth-db-data >/dev/null 2>&1 || exit 0");
        expect(script).toContain("docker run --rm --network none -v berth-db-data:/berth-data:ro --entrypoint cat postgres:15.8 /berth-data/PG_VERSION");
        expect(script).toContain("docker run --rm --network none --entrypoint postgres postgres:15.8 --version");
        // The version line parsing, run for real on what the official and Debian builds print.
        const major = (line: string) => execFileSync("dash", ["-c", `printf '%s\\n' "$1" | sed -n 's/^postgres (PostgreSQL) \\([0-9][0-9]*\\).*/\\1/p'`, "sh", line]).toString().trim();
        expect([major("postgres (PostgreSQL) 15.8 (Debian 15.8-1.pgdg120+1)"), major("postgres (PostgreSQL) 16.4"), major("postgres (PostgreSQL) 9.6.24")]).toEqual(["15", "16", "9"]);
    });

    it("write Redis's config with the password escaped so no value ends its line", () => {
        expect(renderRedisConfig(cache, "a\"b\nrequirepass x")).toBe([
            "# Written by berth: berth:accessories[] cache",
            "bind 0.0.0.0",
            "protected-mode no",
            "port 6379",
            "dir /data",
            "appendonly yes",
            "appendfsync everysec",
            'requirepass "a\\x22b\\x0arequirepass\\x20x"',
            "",
        ].join("\n"));
        expect(renderRedisConfig(cache, undefined)).not.toContain("requirepass");
    });
});
