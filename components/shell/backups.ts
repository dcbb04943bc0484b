import { AccessorySpec, BackupBucketSpec } from "../config/types";
import { accessoryLayout } from "../render/layout";
import { quote, strictScript, words } from "./quote";

/** Where an accessory's backups, its backup script and the upload's credentials are on its data host. */
export function backupLayout(name: string) {
    const root = accessoryLayout(name).root;
    return {
        directory: `${root}/backups`,
        script: `${root}/backup`,
        /** rclone's remote, as environment (0600): endpoint, region and the bucket's credentials. */
        uploadEnv: `${root}/backup-upload.env`,
        log: `${root}/backups/backup.log`,
        cronFile: `/etc/cron.d/berth-backup-${name}`,
    };
}

/** Backup files: `<accessory>-<UTC time>.dump`, so names sort by age. */
export const BACKUP_FILE = /^[a-z][a-z0-9-]*-\d{8}T\d{6}Z\.dump$/;

/** The rclone remote's settings (RCLONE_CONFIG_BACKUP_*): no secret, the keys are added from berth:secrets. */
export function uploadEnvironment(bucket: BackupBucketSpec, accessKeyId: string, secretAccessKey: string): string {
    const settings: Record<string, string> = {
        RCLONE_CONFIG_BACKUP_TYPE: "s3",
        RCLONE_CONFIG_BACKUP_PROVIDER: bucket.endpoint.includes("digitaloceanspaces.com") ? "DigitalOcean" : "Other",
        RCLONE_CONFIG_BACKUP_ENDPOINT: bucket.endpoint,
        RCLONE_CONFIG_BACKUP_REGION: bucket.region,
        RCLONE_CONFIG_BACKUP_FORCE_PATH_STYLE: "true",
        RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID: accessKeyId,
        RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY: secretAccessKey,
    };
    // docker's --env-file takes each line as it is, no quoting: validation keeps newlines out of the values.
    return Object.keys(settings).map((key) => `${key}=${settings[key]}\n`).join("");
}

/**
 * The backup script on the data host (`berth backup` and cron run it): a
 * custom-format `pg_dump` through the running server's local socket,
 * written beside its final name and renamed once complete, so a file named
 * `.dump` is always a whole backup; then the upload (if a bucket is set)
 * and the retention: the newest `keep` stay. One at a time (flock). Prints
 * the file's name, size and seconds taken.
 */
export function renderBackupScript(accessory: AccessorySpec, containerName: string): string {
    const layout = backupLayout(accessory.name);
    const keep = accessory.backups?.keep ?? 7;
    const bucket = accessory.backups?.bucket;
    const upload = bucket
        ? [
              `${words("docker", "run", "--rm", "--env-file", layout.uploadEnv, "-v", `${layout.directory}:/backups:ro`, bucket.clientImage, "copyto", "--s3-no-check-bucket")} "/backups/$name" ${quote(`backup:${bucket.name}/${bucket.prefix}`)}"$name" >&2`,
          ]
        : [];
    return [
        "#!/bin/sh",
        `# Written by berth: backups of accessory ${accessory.name} (berth:accessories[].backups).`,
        "# --log (cron): the output goes to the backup log, each line stamped with the UTC time.",
        `if [ "\${1:-}" = --log ]; then "$0" 2>&1 | while read -r line; do echo "$(date -u +%FT%TZ) $line"; done >> ${quote(layout.log)}; exit 0; fi`,
        strictScript(
            `directory=${quote(layout.directory)}`,
            'install -d -m 0700 "$directory"',
            'exec 9> "$directory/.lock"',
            'flock 9',
            "started=$(date +%s)",
            `name=${quote(`${accessory.name}-`)}$(date -u +%Y%m%dT%H%M%SZ).dump`,
            'trap \'rm -f "$directory/.partial"\' EXIT',
            `${words("docker", "exec", containerName, "pg_dump", "--format=custom", "--no-password", "-U", accessory.user, "-d", accessory.database)} > "$directory/.partial"`,
            'chmod 0600 "$directory/.partial"',
            'mv "$directory/.partial" "$directory/$name"',
            ...upload,
            `ls -1 "$directory" | grep -E ${quote(`^${accessory.name}-[0-9]{8}T[0-9]{6}Z\\.dump$`)} | sort -r | tail -n +${keep + 1} | while read -r old; do rm -f "$directory/$old"; done`,
            'echo "$name $(stat -c %s "$directory/$name") $(( $(date +%s) - started ))"',
        ),
        "",
    ].join("\n");
}

/** The cron entry: the backup script at the schedule, its output in the backup log (no `%` here: cron reads it as a newline). */
export function renderBackupCron(accessory: AccessorySpec): string {
    const layout = backupLayout(accessory.name);
    const stamped = `${layout.script} --log`;
    return [
        `# Written by berth: backups of accessory ${accessory.name}.`,
        "SHELL=/bin/sh",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        `${accessory.backups!.schedule} root ${stamped}`,
        "",
    ].join("\n");
}

/**
 * Installs the backup script, the upload's credentials (standard input,
 * 0600; empty when there is no bucket) and, with a schedule, the cron entry.
 * A data host without cron fails with that message.
 */
export function installBackups(accessory: AccessorySpec, containerName: string): string {
    const layout = backupLayout(accessory.name);
    const scheduled = Boolean(accessory.backups?.schedule);
    return strictScript(
        words("install", "-d", "-m", "0700", accessoryLayout(accessory.name).root, layout.directory),
        `printf '%s' ${quote(renderBackupScript(accessory, containerName))} > ${quote(`${layout.script}.berth-tmp`)}`,
        words("chmod", "0700", `${layout.script}.berth-tmp`),
        words("mv", "-f", `${layout.script}.berth-tmp`, layout.script),
        `(umask 077 && cat > ${quote(`${layout.uploadEnv}.berth-tmp`)})`,
        words("mv", "-f", `${layout.uploadEnv}.berth-tmp`, layout.uploadEnv),
        ...(scheduled
            ? [
                  `[ -d /etc/cron.d ] && command -v cron >/dev/null || { echo ${quote(`berth: ${accessory.host} has no cron: its scheduled backups (berth:accessories[].backups.schedule) need it; install cron, or set backups: false and run berth backup yourself`)} >&2; exit 1; }`,
                  `printf '%s' ${quote(renderBackupCron(accessory))} > ${quote(`${layout.cronFile}.berth-tmp`)}`,
                  words("mv", "-f", `${layout.cronFile}.berth-tmp`, layout.cronFile),
              ]
            : [words("rm", "-f", layout.cronFile)]),
    );
}

/** Removes the schedule when the accessory or its backups go; the backups themselves stay with the data. */
export function removeBackupSchedule(accessory: AccessorySpec): string {
    return words("rm", "-f", backupLayout(accessory.name).cronFile);
}

/** Lists an accessory's backups on its host: `name size mtime` per line, newest first. */
export function listBackups(name: string): string {
    return `${words("find", backupLayout(name).directory, "-maxdepth", "1", "-name", `${name}-*.dump`, "-printf", "%f %s %TY-%Tm-%TdT%TH:%TM:%TSZ\\n")} 2>/dev/null | sort -r || true`;
}

/**
 * Restores a backup into the running server: one transaction (any error
 * leaves the database as it was), objects dropped and created again from
 * the dump.
 */
export function restoreBackup(accessory: AccessorySpec, containerName: string, backup: string): string {
    const file = `${backupLayout(accessory.name).directory}/${backup}`;
    return strictScript(
        `[ -f ${quote(file)} ] || { echo ${quote(`berth: no backup ${backup} of ${accessory.name} on its host (berth backups lists them)`)} >&2; exit 1; }`,
        `${words("docker", "exec", "-i", containerName, "pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-owner", "--no-password", "-U", accessory.user, "-d", accessory.database)} < ${quote(file)}`,
    );
}
