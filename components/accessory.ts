import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { AccessorySpec } from "./config/types";
import { Host } from "./host";
import { containerNames, fingerprint } from "./naming";
import { accessoryLayout } from "./render/layout";
import { ROTATED_LOGS } from "./rollout/containerSettings";
import { ACCESSORY_SECRETS_MOUNT, applyPostgresPassword, checkPostgresMajorVersion, installAccessorySecrets, renderRedisConfig } from "./shell/accessories";
import { installBackups, removeBackupSchedule, uploadEnvironment } from "./shell/backups";
import { scriptsInSequence } from "./shell/quote";
import { BACKUP_CREDENTIAL_SECRETS } from "./config/accessories";

export interface AccessoryArgs {
    spec: AccessorySpec;
    /** Its data host. */
    host: Host;
    /** `berth:secrets.<accessory>`: each becomes a file under /run/secrets (PASSWORD is the server's password). */
    secrets: pulumi.Input<Record<string, string>>;
}

/**
 * A data service on its data host (PostgreSQL, Redis or any image), with
 * its data on a named volume that `pulumi destroy` keeps. Apps never
 * replace it: only a change of its own config does, on the same volume,
 * and its health gates the apps that use it.
 */
export class Accessory extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The data host's private address: the only address its port is published on. */
    readonly address: pulumi.Output<string>;

    constructor(name: string, args: AccessoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:index:Accessory", name, { type: args.spec.type, image: args.spec.image, host: args.host.hostName, port: args.spec.port }, opts);
        const { spec, host } = args;
        const containerName = containerNames.accessory(spec.name);
        const onHost = { parent: this, provider: host.dockerProvider };
        this.address = host.privateAddress;

        const image = new docker.RemoteImage(`${name}-image`, { name: spec.image, keepLocally: true }, onHost);

        // Secret files: the stack's secrets of the accessory, and Redis's config (it holds the password).
        const files = pulumi.output(args.secrets).apply((secrets) => secretFiles(spec, secrets));
        const secretsInstalled = new command.remote.Command(`${name}-secrets`, {
            connection: host.connection,
            create: spec.type === "postgres"
                ? scriptsInSequence(installAccessorySecrets(spec), applyPostgresPassword(spec, containerName))
                : installAccessorySecrets(spec),
            stdin: pulumi.secret(files.apply((contents) =>
                Object.keys(contents).sort().map((file) => `${file} ${Buffer.from(contents[file], "utf8").toString("base64")}\n`).join(""))),
        }, { parent: this, dependsOn: [image] });

        // Before the container is replaced: a new major version would find a data directory it cannot open.
        const versionChecked = spec.type === "postgres"
            ? [new command.remote.Command(`${name}-version-check`, {
                  connection: host.connection,
                  create: checkPostgresMajorVersion(spec),
                  triggers: [spec.image, spec.volume],
              }, { parent: this, dependsOn: [image] })]
            : [];

        // Kept by `pulumi destroy` and by a change of the volume's name: data is deleted by hand only (README).
        const volume = new docker.Volume(`${name}-volume`, {
            name: spec.volume,
            labels: [{ label: "berth.accessory", value: spec.name }],
        }, { ...onHost, retainOnDelete: true });

        const healthcheck = healthCheckOf(spec);
        this.container = new docker.Container(`${name}-container`, {
            name: containerName,
            image: spec.image,
            ...commandOf(spec),
            envs: environmentOf(spec),
            ports: [{ internal: spec.containerPort, external: spec.port, ip: host.privateAddress }],
            volumes: [
                { volumeName: volume.name, containerPath: spec.dataPath },
                { hostPath: accessoryLayout(spec.name).secrets, containerPath: ACCESSORY_SECRETS_MOUNT, readOnly: true },
            ],
            labels: [
                { label: "berth.accessory", value: spec.name },
                // A change of the secret files (Redis's password is in its config) restarts the server with them.
                { label: "berth.secrets", value: files.apply((contents) => fingerprint(...Object.keys(contents).sort().flatMap((file) => [file, contents[file]]))) },
            ],
            ...(healthcheck ? { healthcheck, wait: true, waitTimeout: 300 } : {}),
            restart: "unless-stopped",
            memory: spec.memoryMb,
            memorySwap: spec.memoryMb,
            destroyGraceSeconds: spec.stopGraceSeconds,
            ...ROTATED_LOGS,
        }, { ...onHost, dependsOn: [image, secretsInstalled, ...versionChecked] });

        // PostgreSQL: the backup script `berth backup` runs, and with a schedule its cron entry.
        if (spec.type === "postgres") {
            const bucket = spec.backups?.bucket;
            // The uploader, pulled at deploy time: a wrong image fails the deploy, not the first backup at night.
            const uploader = bucket ? [new docker.RemoteImage(`${name}-backup-uploader`, { name: bucket.clientImage, keepLocally: true }, onHost)] : [];
            new command.remote.Command(`${name}-backups`, {
                connection: host.connection,
                create: installBackups(spec, containerName),
                delete: removeBackupSchedule(spec),
                stdin: pulumi.secret(pulumi.output(args.secrets).apply((secrets) => bucket
                    ? uploadEnvironment(bucket, secrets.BACKUP_ACCESS_KEY_ID ?? "", secrets.BACKUP_SECRET_ACCESS_KEY ?? "")
                    : "")),
            }, { parent: this, dependsOn: [this.container, ...uploader] });
        }

        this.registerOutputs({ address: this.address });
    }
}

/** The files under /run/secrets: every secret of the accessory (but the backup bucket's keys), and for Redis its config. */
export function secretFiles(spec: AccessorySpec, secrets: Record<string, string>): Record<string, string> {
    const files = { ...secrets };
    // The bucket's keys are the backup upload's, not the server's.
    for (const secret of BACKUP_CREDENTIAL_SECRETS) {
        delete files[secret];
    }
    if (spec.type === "redis") {
        files["redis.conf"] = renderRedisConfig(spec, secrets.PASSWORD || undefined);
    }
    return files;
}

/** Redis reads berth's config (it holds the password); other images run their own command unless one is set. */
export function commandOf(spec: AccessorySpec): { command?: string[] } {
    if (spec.type === "redis") {
        return { command: ["redis-server", `${ACCESSORY_SECRETS_MOUNT}/redis.conf`] };
    }
    return spec.command.length > 0 ? { command: spec.command } : {};
}

/** The container's plain environment: names and pointers only, never a secret (the password is a file). */
export function environmentOf(spec: AccessorySpec): string[] {
    const typed: Record<string, string> = spec.type === "postgres"
        ? { POSTGRES_USER: spec.user, POSTGRES_DB: spec.database, POSTGRES_PASSWORD_FILE: `${ACCESSORY_SECRETS_MOUNT}/PASSWORD`, PGDATA: spec.dataPath }
        : {};
    const environment = { ...spec.env, ...typed };
    return Object.keys(environment).sort().map((key) => `${key}=${environment[key]}`);
}

/** Docker's health check, polled by `wait` until healthy: readiness, not just a process. */
export function healthCheckOf(spec: AccessorySpec): docker.types.input.ContainerHealthcheck | undefined {
    const timing = { interval: "2s", timeout: "5s", startPeriod: "10s", retries: 30 };
    switch (spec.type) {
        case "postgres":
            // Over TCP: the first start's initialisation server listens on the socket only.
            return { tests: ["CMD-SHELL", `pg_isready -q -h 127.0.0.1 -p ${spec.containerPort} -U ${spec.user} -d ${spec.database}`], ...timing };
        case "redis":
            // With a password, PING answers NOAUTH: the server is up; while it loads its data it answers LOADING.
            return { tests: ["CMD-SHELL", `redis-cli -h 127.0.0.1 -p ${spec.containerPort} ping | grep -q -e PONG -e NOAUTH`], ...timing };
        case "other":
            return spec.healthCheck ? { tests: ["CMD-SHELL", spec.healthCheck], ...timing } : undefined;
    }
}
