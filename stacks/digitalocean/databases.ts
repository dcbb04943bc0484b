import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import { AppSpec, ManagedDatabaseSpec } from "../../components/config/types";

/** What an app connects to on a managed cluster: its private address and its own credentials. */
export interface ManagedConnection {
    engine: ManagedDatabaseSpec["engine"];
    /** The cluster's private (VPC) host name. */
    host: string;
    port: number;
    user: string;
    password: string;
    /** pg: the app's own database. */
    database: string;
}

/** One managed cluster and, for PostgreSQL, a database and a user per app that uses it. */
export class ManagedDatabase {
    readonly cluster: digitalocean.DatabaseCluster;
    private readonly perApp = new Map<string, { database: digitalocean.DatabaseDb; user: digitalocean.DatabaseUser }>();

    constructor(readonly spec: ManagedDatabaseSpec, args: { name: string; stackTag: pulumi.Input<string>; clusterName: string; region: string; vpcId: pulumi.Input<string>; apps: AppSpec[] }, opts: pulumi.CustomResourceOptions) {
        const resourceName = `${args.name}-database-${spec.name}`;
        this.cluster = new digitalocean.DatabaseCluster(resourceName, {
            name: args.clusterName,
            engine: spec.engine,
            version: spec.version,
            size: spec.size,
            region: args.region,
            nodeCount: spec.nodeCount,
            // In the stack's VPC: apps reach it on its private host name.
            privateNetworkUuid: args.vpcId,
            tags: [args.stackTag],
        // Kept by `pulumi destroy`, as the accessories' volumes are: delete a cluster in DigitalOcean's console.
        }, { ...opts, retainOnDelete: true });
        // Only the stack's droplets may connect (by the stack's tag), nothing from the internet.
        new digitalocean.DatabaseFirewall(`${resourceName}-firewall`, {
            clusterId: this.cluster.id,
            rules: [{ type: "tag", value: args.stackTag }],
        }, opts);
        if (spec.engine === "pg") {
            for (const app of args.apps.filter((candidate) => candidate.accessories.some((use) => use.name === spec.name))) {
                const owner = app.name.replace(/-/g, "_");
                const user = new digitalocean.DatabaseUser(`${resourceName}-user-${app.name}`, { clusterId: this.cluster.id, name: owner }, opts);
                // Deleting a DatabaseDb drops the database: kept, like the cluster.
                const database = new digitalocean.DatabaseDb(`${resourceName}-db-${app.name}`, { clusterId: this.cluster.id, name: owner }, { ...opts, dependsOn: [user], retainOnDelete: true });
                this.perApp.set(app.name, { database, user });
            }
        }
    }

    /** The app's connection: its own user and database on PostgreSQL, the cluster's on Valkey. Secret: it holds the password. */
    connectionFor(appName: string): pulumi.Output<ManagedConnection> {
        const own = this.perApp.get(appName);
        return pulumi.secret(pulumi.all([
            this.cluster.privateHost, this.cluster.port,
            own ? own.user.name : this.cluster.user,
            own ? own.user.password : this.cluster.password,
            own ? own.database.name : this.cluster.database,
        ]).apply(([host, port, user, password, database]) => ({ engine: this.spec.engine, host, port, user, password, database })));
    }
}
