import { installFileFromStdin } from "../../components/shell/commands";
import { chain, quote, strictScript, words } from "../../components/shell/quote";

/** Where the Docker CLI on a host (root) reads registry logins from. */
export const DOCKER_CONFIG_FILE = "/root/.docker/config.json";

/**
 * Waits on a new droplet until cloud-init has finished its first boot and
 * Docker answers: nothing may deploy onto a host before that. `cloud-init
 * status --wait` exits 2 when it finished with warnings only (a deprecated
 * key on a newer cloud-init): the host is usable, and `docker info` decides.
 */
export function waitForCloudInit(timeoutSeconds: number): string {
    return strictScript(
        `status=0; timeout ${timeoutSeconds} cloud-init status --wait >/dev/null || status=$?`,
        `if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then echo ${quote("berth: cloud-init did not finish cleanly; see /var/log/cloud-init-output.log on the droplet")} >&2; cloud-init status --long >&2 || true; exit 1; fi`,
        `${words("docker", "info", "--format", "{{.ServerVersion}}")} >/dev/null`,
        `${words("test", "-d", "/srv/berth")}`,
    );
}

/**
 * Installs the registry login for the Docker CLI on the host (release tasks
 * run `docker run` there) from standard input: 0600, never on a command line.
 */
export function installDockerConfig(): string {
    return chain(words("install", "-d", "-m", "0700", "/root/.docker"), installFileFromStdin(DOCKER_CONFIG_FILE, "0600"));
}

/** A registry login the docker provider sends with every pull. */
export interface RegistryLogin {
    address: string;
    username: string;
    password: string;
}

/**
 * Reads the login out of the Docker config JSON DigitalOcean issues
 * (`{"auths": {"registry.digitalocean.com": {"auth": base64("user:password")}}}`),
 * for the docker provider's `registryAuth` (username and password work with
 * every docker provider, including berth's offline one).
 */
export function registryLogin(dockerConfigJson: string): RegistryLogin {
    const parsed = JSON.parse(dockerConfigJson) as { auths?: Record<string, { auth?: string }> };
    const entries = Object.entries(parsed.auths ?? {});
    if (entries.length !== 1 || !entries[0][1].auth) {
        throw new Error("berth: the registry's Docker credentials hold no single login");
    }
    const [address, { auth }] = entries[0];
    const decoded = Buffer.from(auth!, "base64").toString("utf8");
    const separator = decoded.indexOf(":");
    if (separator < 1) {
        throw new Error("berth: the registry's Docker credentials are not user:password");
    }
    return { address, username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

/**
 * Generates an SSH host key for a droplet on the machine running Pulumi
 * (once: the command's output stays in the stack, as a secret): the private
 * half, then the public line. The key sits only in a private temporary
 * directory for the moment it takes.
 */
export function generateHostKey(): string {
    return strictScript(
        "umask 077",
        'directory=$(mktemp -d)',
        "trap 'rm -rf \"$directory\"' EXIT",
        `ssh-keygen -q -t ed25519 -N '' -C berth-host-key -f "$directory/key"`,
        'cat "$directory/key" "$directory/key.pub"',
    );
}

/** The two halves of generateHostKey's output. */
export function splitGeneratedHostKey(output: string): { privateKey: string; publicKey: string } {
    const end = "-----END OPENSSH PRIVATE KEY-----";
    const at = output.indexOf(end);
    if (at < 0) {
        throw new Error("berth: the generated host key is not an OpenSSH private key");
    }
    const publicKey = output.slice(at + end.length).trim().split(/\s+/).slice(0, 2).join(" ");
    return { privateKey: `${output.slice(0, at + end.length).trim()}\n`, publicKey };
}
