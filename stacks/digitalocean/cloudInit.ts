import { BERTH_ROOT_DIRECTORY } from "../../components/render/layout";

export interface CloudInitSettings {
    /** Install security updates automatically (Docker's packages excluded: they restart dockerd). */
    unattendedUpgrades: boolean;
}

/** A file cloud-init writes before packages are installed. */
interface WrittenFile {
    path: string;
    permissions: string;
    content: string;
}

/**
 * Packages every host needs: Docker from the distribution (Debian and Ubuntu
 * ship `docker.io`), git for code checkouts into the host volume, curl for
 * health checks from the host, ca-certificates for HTTPS clones.
 */
export const HOST_PACKAGES = ["ca-certificates", "curl", "docker.io", "git"];

/**
 * sshd drop-in. Debian and Ubuntu read `sshd_config.d/*.conf` before the main
 * file, and the first value of a keyword wins, so `00-` beats anything the
 * image or cloud-init itself writes (`50-cloud-init.conf`).
 */
export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-berth.conf";

/**
 * The `#cloud-config` user data of every droplet: Docker from the
 * distribution, the host volume root, and sshd for keys only.
 *
 * It must render byte for byte the same on every run: a droplet's user data
 * is create-only on DigitalOcean (a change replaces the droplet). So it holds
 * no timestamps, no per-host values and no secrets (the registry login is a
 * remote command, not user data). Keys and lists are in a fixed order.
 */
export function renderCloudInit(settings: CloudInitSettings): string {
    const files: WrittenFile[] = [
        {
            path: SSHD_DROP_IN,
            permissions: "0644",
            content: [
                "# berth: keys only. Root logs in with berth's deploy key (the docker group is root anyway).",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "PermitEmptyPasswords no",
                "X11Forwarding no",
                "# Docker's SSH transport and remote commands open many sessions at once.",
                "MaxSessions 64",
                "MaxStartups 64:30:128",
                "",
            ].join("\n"),
        },
        {
            path: "/etc/docker/daemon.json",
            permissions: "0644",
            // live-restore: containers keep running while dockerd restarts (a package upgrade).
            content: `${JSON.stringify({ "live-restore": true, "log-driver": "json-file", "log-opts": { "max-file": "5", "max-size": "10m" } }, null, 2)}\n`,
        },
    ];
    if (settings.unattendedUpgrades) {
        files.push(
            {
                path: "/etc/apt/apt.conf.d/20auto-upgrades",
                permissions: "0644",
                content: ['APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";', ""].join("\n"),
            },
            {
                path: "/etc/apt/apt.conf.d/52berth-unattended-upgrades",
                permissions: "0644",
                content: [
                    "// berth: Docker's engine restarts on upgrade; upgrade it on purpose, one host at a time.",
                    'Unattended-Upgrade::Package-Blacklist { "containerd"; "docker.io"; "runc"; };',
                    'Unattended-Upgrade::Automatic-Reboot "false";',
                    "",
                ].join("\n"),
            },
        );
    }
    const packages = [...HOST_PACKAGES, ...(settings.unattendedUpgrades ? ["unattended-upgrades"] : [])].sort();
    const commands: string[][] = [
        ["systemctl", "enable", "--now", "docker"],
        ["install", "-d", "-m", "0755", "-o", "root", "-g", "root", BERTH_ROOT_DIRECTORY],
        // Debian names the unit ssh; Ubuntu may start it from ssh.socket: reload what runs.
        ["systemctl", "try-reload-or-restart", "ssh"],
    ];

    const lines = [
        "#cloud-config",
        "# Rendered by berth (stacks/digitalocean/cloudInit.ts). Runs once, at a droplet's first boot.",
        "ssh_pwauth: false",
        "disable_root: false",
        "package_update: true",
        "package_upgrade: false",
        "packages:",
        ...packages.map((name) => `  - ${yamlString(name)}`),
        "write_files:",
        ...files.flatMap((file) => [
            `  - path: ${yamlString(file.path)}`,
            "    owner: root:root",
            `    permissions: ${yamlString(file.permissions)}`,
            "    content: |",
            ...file.content.replace(/\n$/, "").split("\n").map((line) => (line === "" ? "" : `      ${line}`)),
        ]),
        "runcmd:",
        ...commands.map((command) => `  - [${command.map(yamlString).join(", ")}]`),
        "",
    ];
    return lines.join("\n");
}

/** A double-quoted YAML scalar: JSON's string syntax is valid YAML. */
function yamlString(value: string): string {
    return JSON.stringify(value);
}
