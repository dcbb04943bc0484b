import { AccessorySpec } from "../config/types";
import { ACCESSORIES_DIRECTORY, accessoryLayout } from "../render/layout";
import { quote, strictScript, words } from "./quote";

/** Where an accessory's secret files are inside its container (read-only). */
export const ACCESSORY_SECRETS_MOUNT = "/run/secrets";

/**
 * Installs an accessory's secret files from standard input, one per line as
 * `NAME BASE64`: each lands in its secrets directory (mounted read-only at
 * /run/secrets), and a file no longer listed is removed. The accessory's
 * directory is root's and 0700, so nobody else on the host reaches the
 * files; inside the container they are 0644 for the server's own user
 * (PostgreSQL's entrypoint reads its password file after dropping root).
 * Each file is written beside its target and renamed over it.
 */
export function installAccessorySecrets(accessory: AccessorySpec): string {
    const layout = accessoryLayout(accessory.name);
    const staging = `${layout.root}/.incoming`;
    return strictScript(
        // /srv/berth stays traversable (nginx's workers read the ACME webroot under it); the accessory's directory does not.
        words("mkdir", "-p", ACCESSORIES_DIRECTORY),
        words("install", "-d", "-m", "0700", layout.root),
        words("install", "-d", "-m", "0755", layout.secrets),
        "umask 077",
        words("rm", "-rf", staging),
        words("mkdir", staging),
        "while read -r name value; do",
        `  case "$name" in ""|.*|*[!A-Za-z0-9_.-]*) echo ${quote("berth: a secret file name must be letters, digits and _.-")} >&2; exit 1 ;; esac`,
        `  printf '%s' "$value" | base64 -d > ${quote(staging)}/"$name"`,
        `  chmod 0644 ${quote(staging)}/"$name"`,
        "done",
        `for file in ${quote(layout.secrets)}/*; do [ ! -e "$file" ] || [ -e ${quote(staging)}/"\${file##*/}" ] || rm -f -- "$file"; done`,
        `for file in ${quote(staging)}/*; do [ ! -e "$file" ] || mv -f -- "$file" ${quote(layout.secrets)}/; done`,
        words("rmdir", staging),
    );
}

/**
 * After a password change, a running PostgreSQL gets the new password for
 * its user (initdb set the first one; the password file alone changes
 * nothing later). psql reads the file inside the container, so the
 * password is on no command line; skipped while the server is not running.
 */
export function applyPostgresPassword(accessory: AccessorySpec, containerName: string): string {
    const sql = `\\set password \`cat ${ACCESSORY_SECRETS_MOUNT}/PASSWORD\`\nALTER ROLE :"role" WITH PASSWORD :'password';\n`;
    return strictScript(
        `if [ "$(${words("docker", "inspect", "--format", "{{.State.Running}}", containerName)} 2>/dev/null)" = true ]; then`,
        `  printf '%s' ${quote(sql)} | ${words("docker", "exec", "-i", containerName, "psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-v", `role=${accessory.user}`, "-U", accessory.user, "-d", accessory.database)} >/dev/null`,
        "fi",
    );
}

/**
 * Refuses an image whose PostgreSQL major version differs from the one
 * that wrote the accessory's volume: a server cannot open another major
 * version's data directory, and starting it would leave the database down.
 * Reads PG_VERSION through a throwaway container (no root needed on the
 * host); a new or empty volume passes.
 */
export function checkPostgresMajorVersion(accessory: AccessorySpec): string {
    const refusal = (dataMajor: string, imageMajor: string) =>
        quote(`berth: accessory ${accessory.name}: its volume ${accessory.volume} holds PostgreSQL `) + dataMajor +
        quote(` data, and ${accessory.image} is PostgreSQL `) + imageMajor +
        quote(`. A major version cannot read another's data directory: keep berth:accessories[].image at the volume's major version, or move the data: ` +
            `berth backup --accessory ${accessory.name}, deploy the new image with a new berth:accessories[].volume, then berth restore --accessory ${accessory.name}. The running server was not touched.`);
    return strictScript(
        `${words("docker", "volume", "inspect", accessory.volume)} >/dev/null 2>&1 || exit 0`,
        `data_major=$(${words("docker", "run", "--rm", "--network", "none", "-v", `${accessory.volume}:/berth-data:ro`, "--entrypoint", "cat", accessory.image, "/berth-data/PG_VERSION")} 2>/dev/null || true)`,
        '[ -n "$data_major" ] || exit 0',
        `image_version=$(${words("docker", "run", "--rm", "--network", "none", "--entrypoint", "postgres", accessory.image, "--version")})`,
        `image_major=$(printf '%s\\n' "$image_version" | sed -n 's/^postgres (PostgreSQL) \\([0-9][0-9]*\\).*/\\1/p')`,
        `[ -n "$image_major" ] || { echo ${quote(`berth: cannot tell the PostgreSQL version of ${accessory.image} from: `)}"$image_version" >&2; exit 1; }`,
        `[ "\${data_major%%.*}" = "$image_major" ] || { echo ${refusal('"$data_major"', '"$image_major"')} >&2; exit 1; }`,
    );
}

/** A value in redis.conf: double-quoted, every character but letters and digits as \xHH, so no value can end its line. */
function redisConfigValue(value: string): string {
    const bytes = Buffer.from(value, "utf8");
    return `"${[...bytes].map((byte) => (/[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`)).join("")}"`;
}

/**
 * Redis's config, a secret file when it holds the password: it listens on
 * every address of the container (Docker publishes the port on the host's
 * private address only), keeps an append-only file on the volume, and asks
 * for the password when one is set.
 */
export function renderRedisConfig(accessory: AccessorySpec, password: string | undefined): string {
    return [
        "# Written by berth: berth:accessories[] " + accessory.name,
        "bind 0.0.0.0",
        "protected-mode no",
        `port ${accessory.containerPort}`,
        `dir ${accessory.dataPath}`,
        "appendonly yes",
        "appendfsync everysec",
        ...(password ? [`requirepass ${redisConfigValue(password)}`] : []),
        "",
    ].join("\n");
}
