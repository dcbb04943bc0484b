import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_PACKAGES, renderCloudInit, SSHD_DROP_IN } from "../../../stacks/digitalocean";
import { temporaryDirectory } from "../../support/files";

const scratch = temporaryDirectory("cloud-init");

/**
 * Runs Debian's real `cloud-init schema -c FILE` (package cloud-init, installed
 * by `npm run setup`): it parses the YAML and checks every module's keys
 * against cloud-init's own JSON schema. Returns its exit code and words.
 */
function cloudInitSchema(content: string, fileName: string): { status: number; output: string } {
    const path = join(scratch, fileName);
    writeFileSync(path, content);
    try {
        const output = execFileSync("cloud-init", ["schema", "-c", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        return { status: 0, output };
    } catch (error) {
        const failure = error as { code?: string; status?: number; stdout?: string; stderr?: string };
        if (failure.code === "ENOENT") {
            throw new Error("cloud-init is not installed: `apt-get install --no-install-recommends cloud-init` (scripts/setup/host-packages.sh does)");
        }
        return { status: failure.status ?? -1, output: `${failure.stdout ?? ""}${failure.stderr ?? ""}` };
    }
}

/** The document as YAML parses it (PyYAML ships with cloud-init). */
function parseYaml(content: string): Record<string, any> {
    const path = join(scratch, "parse.yaml");
    writeFileSync(path, content);
    const json = execFileSync("python3", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path], { encoding: "utf8" });
    return JSON.parse(json);
}

describe("renderCloudInit", () => {
    const userData = renderCloudInit({ unattendedUpgrades: true });

    it("renders the same bytes every time (droplet user data is create-only)", () => {
        expect(renderCloudInit({ unattendedUpgrades: true })).toBe(userData);
        expect(userData).toMatchSnapshot();
    });

    it("is valid cloud-config for the real cloud-init schema validator", () => {
        expect(userData.startsWith("#cloud-config\n")).toBe(true);
        expect(cloudInitSchema(userData, "berth.yaml")).toEqual({ status: 0, output: expect.stringContaining("Valid cloud-config") });
        expect(cloudInitSchema(renderCloudInit({ unattendedUpgrades: false }), "berth-no-upgrades.yaml").status).toBe(0);
    });

    it("is checked for real: the validator refuses a wrong value", () => {
        const broken = userData.replace("package_update: true", 'package_update: "sometimes"');
        const result = cloudInitSchema(broken, "broken.yaml");
        expect(result.status).not.toBe(0);
        expect(result.output).toContain("package_update: 'sometimes' is not of type 'boolean'");
    });

    it("installs Docker from the distribution, creates /srv/berth and allows keys only", () => {
        const document = parseYaml(userData);
        expect(document.packages).toEqual([...HOST_PACKAGES, "unattended-upgrades"].sort());
        expect(document.packages).toContain("docker.io");
        expect(document.ssh_pwauth).toBe(false);
        expect(document.runcmd).toEqual([
            ["systemctl", "enable", "--now", "docker"],
            ["install", "-d", "-m", "0755", "-o", "root", "-g", "root", "/srv/berth"],
            ["systemctl", "try-reload-or-restart", "ssh"],
        ]);
        const sshd = document.write_files.find((file: { path: string }) => file.path === SSHD_DROP_IN);
        expect(sshd.permissions).toBe("0644");
        expect(sshd.content.split("\n").filter((line: string) => line && !line.startsWith("#"))).toEqual([
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "PermitEmptyPasswords no",
            "X11Forwarding no",
            "MaxSessions 64",
            "MaxStartups 64:30:128",
        ]);
        const daemon = document.write_files.find((file: { path: string }) => file.path === "/etc/docker/daemon.json");
        expect(JSON.parse(daemon.content)).toEqual({ "live-restore": true, "log-driver": "json-file", "log-opts": { "max-file": "5", "max-size": "10m" } });
    });

    it("keeps Docker out of unattended upgrades, and leaves upgrades out when asked", () => {
        expect(userData).toContain('Unattended-Upgrade::Package-Blacklist { "containerd"; "docker.io"; "runc"; };');
        const without = parseYaml(renderCloudInit({ unattendedUpgrades: false }));
        expect(without.packages).not.toContain("unattended-upgrades");
        expect(without.write_files.map((file: { path: string }) => file.path)).toEqual([SSHD_DROP_IN, "/etc/docker/daemon.json"]);
    });
});
