import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { Role } from "./config/types";
import { urlHost } from "./render/address";
import { parseHostKey, sshHostKeyOptions } from "./ssh/hostKeys";

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
    /**
     * The host's public SSH host key (`ssh-ed25519 AAAA...`): every
     * connection, on both transports, accepts this key and no other.
     */
    hostKey: pulumi.Input<string>;
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
    /** The host key every connection accepts. */
    readonly hostKey: pulumi.Output<string>;

    constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:index:Host", name, {}, opts);
        const sshPort = args.sshPort ?? 22;
        const sshUser = args.sshUser ?? "root";
        this.hostName = name;
        this.roles = args.roles;
        this.address = pulumi.output(args.address);
        this.privateAddress = pulumi.output(args.privateAddress);
        this.hostKey = pulumi.output(args.hostKey);

        this.dockerProvider = new docker.Provider(`${name}-docker`, {
            host: pulumi.output(args.address).apply((address) => `ssh://${sshUser}@${urlHost(address)}:${sshPort}`),
            sshOpts: pulumi.all([args.address, args.hostKey]).apply(([address, hostKey]) => sshOptions(args.privateKeyPath, address, sshPort, hostKey)),
            ...(args.registryAuth ? { registryAuth: args.registryAuth } : {}),
        }, { parent: this });

        this.connection = pulumi.output({
            host: args.address,
            port: sshPort,
            user: sshUser,
            privateKey: pulumi.secret(args.privateKey),
            hostKey: args.hostKey,
            // Lab hosts and fresh droplets take a while to accept SSH.
            dialErrorLimit: 30,
        });

        this.registerOutputs({ address: this.address, privateAddress: this.privateAddress, roles: this.roles });
    }
}

/**
 * Options for the system `ssh` Docker runs: the deploy key, and exactly
 * the host's known key (no known_hosts file is read or written).
 */
export function sshOptions(privateKeyPath: string, address: string, port: number, hostKey: string): string[] {
    const key = parseHostKey(hostKey);
    if (!key) {
        throw new Error(`berth: the host key of ${address}:${port} is not a public key line: ${JSON.stringify(hostKey)}`);
    }
    return [
        "-i", privateKeyPath,
        "-o", "IdentitiesOnly=yes",
        ...sshHostKeyOptions(address, port, key),
        "-o", "LogLevel=ERROR",
        "-o", "ConnectTimeout=10",
    ];
}
