import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { Role } from "./config/types";

export interface HostArgs {
    /** Address berth reaches the host on over SSH (a droplet's public IP, or 127.0.0.1 in the lab). */
    address: pulumi.Input<string>;
    /** Address the load balancer reaches the host's web containers on. */
    privateAddress: pulumi.Input<string>;
    /** SSH port. Default 22. */
    sshPort?: number;
    /** SSH user; it must be allowed to run docker. Default `root`. */
    sshUser?: string;
    /** Path of the private key on the machine running Pulumi: Docker's SSH transport runs the system `ssh` with it. */
    privateKeyPath: string;
    /** The same private key's content, for remote commands. Keep it a secret. */
    privateKey: pulumi.Input<string>;
    roles: Role[];
    /** Registry logins the docker provider sends with image pulls (a secret). Default none: public images, or the lab's open registry. */
    registryAuth?: pulumi.Input<docker.types.input.ProviderRegistryAuth[]>;
}

/**
 * A Docker host reached over SSH. It owns the docker provider every
 * container and image on the host is created through, and the connection
 * remote commands use.
 */
export class Host extends pulumi.ComponentResource {
    readonly hostName: string;
    readonly roles: Role[];
    readonly address: pulumi.Output<string>;
    readonly privateAddress: pulumi.Output<string>;
    readonly dockerProvider: docker.Provider;
    readonly connection: pulumi.Output<command.types.input.remote.ConnectionArgs>;

    constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:index:Host", name, {}, opts);
        const sshPort = args.sshPort ?? 22;
        const sshUser = args.sshUser ?? "root";
        this.hostName = name;
        this.roles = args.roles;
        this.address = pulumi.output(args.address);
        this.privateAddress = pulumi.output(args.privateAddress);

        this.dockerProvider = new docker.Provider(`${name}-docker`, {
            host: pulumi.interpolate`ssh://${sshUser}@${args.address}:${sshPort}`,
            sshOpts: sshOptions(args.privateKeyPath),
            ...(args.registryAuth ? { registryAuth: args.registryAuth } : {}),
        }, { parent: this });

        this.connection = pulumi.output({
            host: args.address,
            port: sshPort,
            user: sshUser,
            privateKey: pulumi.secret(args.privateKey),
            // Lab hosts and fresh droplets take a while to accept SSH.
            dialErrorLimit: 30,
        });

        this.registerOutputs({ address: this.address, privateAddress: this.privateAddress, roles: this.roles });
    }
}

/**
 * Options for the system `ssh` Docker runs. Host keys are not pinned: lab
 * hosts and new droplets get fresh keys on every creation.
 */
export function sshOptions(privateKeyPath: string): string[] {
    return [
        "-i", privateKeyPath,
        "-o", "IdentitiesOnly=yes",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "ConnectTimeout=10",
    ];
}
