import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import type * as docker from "@pulumi/docker";
import { AccessorySpec, AppSpec, DigitalOceanSpec, DropletHostSpec, LoadBalancerSpec } from "../../components/config/types";
import { renderCloudInit } from "./cloudInit";
import { ManagedDatabase } from "./databases";
import { planDnsRecords } from "./dns";
import { planFirewalls } from "./firewall";
import { generateHostKey, installDockerConfig, registryLogin, splitGeneratedHostKey, waitForCloudInit } from "./hostCommands";
import { dropletTags, stackTags } from "./tags";

export interface DropletFleetArgs {
    spec: DigitalOceanSpec;
    /** The apps: their web ports open inside the VPC, their domains get A records. */
    apps: AppSpec[];
    loadBalancer: LoadBalancerSpec;
    /** The accessories: those on a droplet get their port opened to the VPC. Default none. */
    accessories?: AccessorySpec[];
    /** The deploy key's private half (a secret): berth waits for cloud-init and logs hosts in to the registry over SSH. */
    privateKey: pulumi.Input<string>;
    /** Prefixes droplet names and scopes tags, so stacks sharing an account never mix. Default: the current stack. */
    stackName?: string;
}

/** One droplet and what berth needs to deploy onto it. */
export interface DropletHost {
    spec: DropletHostSpec;
    droplet: digitalocean.Droplet;
    /** The droplet's public IPv4, resolved only once cloud-init has finished: a Host built on it waits for Docker. */
    address: pulumi.Output<string>;
    /** The droplet's address in the VPC: nginx's upstreams and the web containers' published ports use it. */
    privateAddress: pulumi.Output<string>;
    /** `cloud-init status --wait` and `docker info` on the droplet, once after it is created. */
    ready: command.remote.Command;
    /** The droplet's SSH host key, which berth generated and cloud-init installed: known before the first connection. */
    hostKey: pulumi.Output<string>;
}

/** How long a new droplet may take to finish cloud-init (package installs). */
const CLOUD_INIT_TIMEOUT_SECONDS = 900;

/**
 * The DigitalOcean side of a berth stack: a VPC, the deploy key, droplets per
 * group with hardened cloud-init, tag-based firewalls, a reserved IP on the
 * load balancer, optional A records and an optional container registry.
 *
 * Droplets are named per index (`web-1`, `web-2`, ...) so a larger count adds
 * droplets and touches none of the existing ones. `userData`, `sshKeys` and
 * `image` only matter at a droplet's first boot and force a replacement on
 * DigitalOcean, so changes to them are ignored for existing droplets (new
 * droplets get them); replace a host on purpose with `pulumi up --replace`.
 */
export class DropletFleet extends pulumi.ComponentResource {
    readonly vpc: digitalocean.Vpc;
    readonly sshKey: digitalocean.SshKey;
    readonly hosts: DropletHost[];
    readonly firewalls: digitalocean.Firewall[];
    /** The reserved IP on the load balancer, when `reservedIp` is on. */
    readonly reservedIp?: pulumi.Output<string>;
    /** Where users reach nginx: the reserved IP, or the load balancer droplet's own IP. */
    readonly publicAddress: pulumi.Output<string>;
    readonly dnsRecords: digitalocean.DnsRecord[];
    /** Pull credentials for every host's docker provider, when a registry is configured (a secret). */
    readonly registryAuth?: pulumi.Output<docker.types.input.ProviderRegistryAuth[]>;
    /** The registry's endpoint (`registry.digitalocean.com/<name>`), when a registry is configured. */
    readonly registryEndpoint?: pulumi.Output<string>;
    /** The managed database clusters (`databases[]`), by name. */
    readonly databases: Record<string, ManagedDatabase> = {};

    constructor(name: string, args: DropletFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:digitalocean:DropletFleet", name, {}, opts);
        const { spec } = args;
        const stackName = args.stackName ?? pulumi.getStack();
        const tags = stackTags(stackName);
        const parent = { parent: this };

        // Firewalls select droplets by tag, and DigitalOcean refuses a firewall on a tag that
        // does not exist yet: berth owns the stack's own tags. `berth` is shared by every
        // stack of the account, so no stack owns it (a droplet creates it when missing).
        const ownedTags = new Map<string, digitalocean.Tag>();
        const tagName = (tag: string): pulumi.Input<string> => {
            if (tag === tags.berth) {
                return tag;
            }
            let resource = ownedTags.get(tag);
            if (!resource) {
                resource = new digitalocean.Tag(`${name}-tag-${tag}`, { name: tag }, parent);
                ownedTags.set(tag, resource);
            }
            return resource.name;
        };

        this.vpc = new digitalocean.Vpc(`${name}-vpc`, {
            name: `${tags.stack}-vpc`,
            region: spec.region,
            ipRange: spec.vpcIpRange,
            description: `berth stack ${stackName}: the hosts' private network`,
        }, parent);

        this.sshKey = new digitalocean.SshKey(`${name}-ssh-key`, {
            name: `${tags.stack}-deploy`,
            publicKey: spec.sshPublicKey,
        }, parent);

        const credentials = spec.registry ? this.createRegistry(name, spec.registry) : undefined;
        const dockerConfig = credentials ? pulumi.secret(credentials.dockerCredentials) : undefined;

        this.hosts = spec.droplets.map((host) => {
            // Generated here, installed by cloud-init: every connection to the droplet, the first too, is verified.
            const generated = new command.local.Command(`${name}-host-key-${host.name}`, {
                create: generateHostKey(),
            }, { ...parent, additionalSecretOutputs: ["stdout"] });
            const keyPair = generated.stdout.apply(splitGeneratedHostKey);
            const hostKey = pulumi.unsecret(keyPair.apply((pair) => pair.publicKey));
            const userData = pulumi.secret(keyPair.apply((pair) => renderCloudInit({ unattendedUpgrades: spec.unattendedUpgrades, hostKey: pair })));
            const droplet = new digitalocean.Droplet(`${name}-droplet-${host.name}`, {
                name: `${stackName}-${host.name}`,
                region: spec.region,
                size: host.size,
                image: host.image,
                vpcUuid: this.vpc.id,
                sshKeys: [this.sshKey.fingerprint],
                tags: dropletTags(tags, host.group, host.roles).map(tagName),
                userData,
                monitoring: spec.monitoring,
                // Deleting or resizing shuts the droplet down, so dockerd stops its containers gracefully.
                gracefulShutdown: true,
            }, { ...parent, ignoreChanges: ["userData", "sshKeys", "image"] });

            const connection = {
                host: droplet.ipv4Address,
                port: host.sshPort,
                user: host.sshUser,
                privateKey: pulumi.secret(args.privateKey),
                hostKey,
                // A new droplet takes a while to accept SSH.
                dialErrorLimit: 60,
            };
            const ready = new command.remote.Command(`${name}-cloud-init-${host.name}`, {
                connection,
                create: waitForCloudInit(CLOUD_INIT_TIMEOUT_SECONDS),
            }, { ...parent, dependsOn: [droplet] });

            const login = dockerConfig
                ? new command.remote.Command(`${name}-registry-login-${host.name}`, {
                      connection,
                      create: installDockerConfig(),
                      stdin: dockerConfig,
                  }, { ...parent, dependsOn: [ready] })
                : undefined;

            // The address carries the readiness steps as dependencies: everything deployed
            // onto the host (its docker provider, its remote commands) waits for them.
            const steps: pulumi.CustomResource[] = login ? [ready, login] : [ready];
            const address = pulumi.all([droplet.ipv4Address, ...steps.map((step) => step.id)]).apply(([ip]) => ip);
            return { spec: host, droplet, address, privateAddress: droplet.ipv4AddressPrivate, ready, hostKey };
        });

        this.firewalls = planFirewalls(spec, args.apps, args.loadBalancer, tags, args.accessories ?? []).map((plan) =>
            new digitalocean.Firewall(`${name}-firewall-${plan.name}`, {
                name: `${tags.stack}-${plan.name}`,
                tags: [tagName(plan.tag)],
                inboundRules: plan.inbound,
                outboundRules: plan.outbound,
            }, parent),
        );

        const lbHost = this.hosts.find((host) => host.spec.name === args.loadBalancer.host)!;
        if (spec.reservedIp) {
            const reservedIp = new digitalocean.ReservedIp(`${name}-reserved-ip`, { region: spec.region }, parent);
            // A separate assignment: a replaced load balancer droplet gets the same IP back.
            const assignment = new digitalocean.ReservedIpAssignment(`${name}-reserved-ip-assignment`, {
                ipAddress: reservedIp.ipAddress,
                dropletId: lbHost.droplet.id.apply(Number),
            }, parent);
            this.reservedIp = pulumi.all([reservedIp.ipAddress, assignment.id]).apply(([ip]) => ip);
        }
        this.publicAddress = this.reservedIp ?? lbHost.droplet.ipv4Address;

        this.dnsRecords = spec.dns
            ? planDnsRecords(spec.dns.zone, args.apps).map((record) =>
                  new digitalocean.DnsRecord(`${name}-dns-${record.appName}`, {
                      domain: spec.dns!.zone,
                      type: "A",
                      name: record.name,
                      value: this.publicAddress,
                      ttl: spec.dns!.ttl,
                  }, parent),
              )
            : [];

        for (const database of spec.databases) {
            this.databases[database.name] = new ManagedDatabase(database, {
                name,
                stackTag: tagName(tags.stack),
                clusterName: `${tags.stack}-${database.name}`,
                region: spec.region,
                vpcId: this.vpc.id,
                apps: args.apps,
            }, parent);
        }

        if (dockerConfig) {
            this.registryAuth = pulumi.secret(dockerConfig.apply((json) => {
                const login = registryLogin(json);
                return [{ address: login.address, username: login.username, password: login.password }];
            }));
            this.registryEndpoint = pulumi.output(`registry.digitalocean.com/${spec.registry!.name}`);
        }

        this.registerOutputs({
            vpcId: this.vpc.id,
            hosts: this.hosts.map((host) => ({ name: host.spec.name, address: host.address, privateAddress: host.privateAddress })),
            reservedIp: this.reservedIp,
            publicAddress: this.publicAddress,
        });
    }

    /** The registry (unless it exists already) and read-only Docker credentials for it. */
    private createRegistry(name: string, registry: NonNullable<DigitalOceanSpec["registry"]>): digitalocean.ContainerRegistryDockerCredentials {
        const created = registry.create
            ? new digitalocean.ContainerRegistry(`${name}-registry`, {
                  name: registry.name,
                  subscriptionTierSlug: registry.tier,
                  ...(registry.region ? { region: registry.region } : {}),
              }, { parent: this })
            : undefined;
        return new digitalocean.ContainerRegistryDockerCredentials(`${name}-registry-credentials`, {
            registryName: created ? created.name : registry.name,
            write: false,
        }, { parent: this });
    }
}
