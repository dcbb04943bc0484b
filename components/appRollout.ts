import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { AppSpec } from "./config/types";
import { AppHostFiles } from "./appHostFiles";
import { containerEnvironment, environmentList, ROTATED_LOGS, WEB_CONTAINER_PORT, webHealthCheckCommand } from "./appContainers";
import { Host } from "./host";
import { LoadBalancer } from "./loadBalancer";
import { containerNames, imageReference } from "./naming";
import { hostAndPort } from "./render/address";
import { AppLayout } from "./render/layout";
import { hostTasks, releaseHost, staticHosts, staticTasks } from "./rollout/plan";
import { appVolumes, releaseDirectory, removeContainerNotStartedByBerth, restartUnlessStartedAfterSwitch, runOneShotTask, switchReleaseAndReload, waitForHttp } from "./shell/commands";
import { chain } from "./shell/quote";

export interface RolloutArgs {
    name: string;
    app: AppSpec;
    layout: AppLayout;
    filesByHost: Map<string, AppHostFiles>;
    loadBalancer: LoadBalancer;
    /** Changes whenever the containers must be replaced: image, settings, secrets. */
    containerFingerprint: pulumi.Output<string>;
    /** The first drain waits for these: apps roll through one nginx one at a time. */
    drainAfter: pulumi.Resource[];
    parent: pulumi.Resource;
}

export interface RolloutResources {
    release?: command.remote.Command;
    /** collectstatic on every web host. */
    staticFiles: command.remote.Command[];
    web: docker.Container[];
    workers: docker.Container[];
    beat?: docker.Container;
    /** The last step: depend on it to run after the whole app is deployed. */
    done: pulumi.Resource;
}

/**
 * Wires the app's deploy into the Pulumi graph in the order of planRollout:
 * every step `dependsOn` the one before, so the engine both shows the order
 * in previews and enforces it in `pulumi up`.
 */
export function createRollout(args: RolloutArgs): RolloutResources {
    const { name, app, parent } = args;
    const allFiles = [...args.filesByHost.values()];
    const prepared: pulumi.Resource[] = allFiles.flatMap((files) => [files.image, files.envFile, ...(files.checkout ? [files.checkout] : [])]);
    const revision = [app.image.tag, app.code?.ref ?? ""];

    // Release tasks run once per new tag or ref, before any web container is replaced.
    const webHostFiles = args.filesByHost.get(releaseHost(app))!;
    const release = hostTasks(app).length === 0 ? undefined : new command.remote.Command(`${name}-release`, {
        connection: webHostFiles.host.connection,
        create: releaseCommand(args, hostTasks(app), webHostFiles.host),
        triggers: revision,
    }, { parent, dependsOn: prepared });

    // Beside the release tasks (both only need the new checkout), on every host that reads the output.
    const staticFiles = staticHosts(app).map((hostName) => {
        const host = args.filesByHost.get(hostName)!.host;
        return new command.remote.Command(`${name}-static-${hostName}`, {
            connection: host.connection,
            create: releaseCommand(args, staticTasks(app), host),
            triggers: revision,
        }, { parent, dependsOn: prepared });
    });

    let previous: pulumi.Resource[] = [...prepared, ...args.drainAfter, args.loadBalancer.ready, ...(release ? [release] : []), ...staticFiles];
    const switched = new Map<string, command.remote.Command>();

    // Web hosts one by one: drain, switch code, replace, check health, undrain.
    const web = app.hosts.web.map((hostName) => {
        const files = args.filesByHost.get(hostName)!;
        const drain = drainStep(args, hostName, true, previous);
        const codeSwitch = codeSwitchStep(args, files, [drain]);
        if (codeSwitch) {
            switched.set(hostName, codeSwitch);
        }
        const adopt = adoptStep(args, files.host, "web", [codeSwitch ?? drain]);
        const container = new docker.Container(`${name}-web-${hostName}`, {
            ...containerBase(args, files.host, "web"),
            command: ["run"],
            ports: [{ internal: WEB_CONTAINER_PORT, external: app.webPort, ip: files.host.privateAddress }],
            healthcheck: { tests: webHealthCheckCommand(app), interval: "2s", timeout: "3s", retries: 3, startPeriod: "2s" },
            wait: true,
            waitTimeout: app.healthTimeoutSeconds,
        }, {
            parent,
            provider: files.host.dockerProvider,
            dependsOn: [adopt, files.image, files.envFile, ...(files.uwsgiIni ? [files.uwsgiIni] : [])],
        });
        const healthy = new command.remote.Command(`${name}-healthy-${hostName}`, {
            connection: files.host.connection,
            create: files.host.privateAddress.apply((address) => waitForHttp(`http://${hostAndPort(address, app.webPort)}${app.healthPath}`, app.domain, app.healthTimeoutSeconds)),
            // A new container (a new ID) is checked again, even when a failed
            // rollout is being rolled back to the settings checked last time.
            triggers: [container.id, app.code?.ref ?? ""],
        }, { parent, dependsOn: [container] });
        const undrain = drainStep(args, hostName, false, [healthy], container.id);
        previous = [undrain];
        return container;
    });

    // Then the workers (celery's warm shutdown gets the stop grace) ...
    const workers = app.hosts.worker.map((hostName) => backgroundContainer(args, "worker", hostName, switched, previous));
    if (workers.length > 0) {
        previous = workers.flatMap((worker) => worker.done);
    }
    // ... and beat last, a singleton: a fixed name means the old one is deleted before the new one starts.
    const beat = app.hosts.beat.map((hostName) => backgroundContainer(args, "beat", hostName, switched, previous))[0];
    if (beat) {
        previous = beat.done;
    }

    return {
        release,
        staticFiles,
        web,
        workers: workers.map((worker) => worker.container),
        beat: beat?.container,
        done: previous[previous.length - 1],
    };
}

function releaseCommand(args: RolloutArgs, tasks: string[], host: Host): string {
    const { app, layout } = args;
    return chain(
        ...tasks.map((task) =>
            runOneShotTask({
                containerName: containerNames.release(app.name, task),
                image: imageReference(app),
                layout,
                user: app.user,
                // The new release's checkout, before any host switches its code link to it.
                environment: {
                    ...containerEnvironment(app, layout, host.hostName),
                    ...(app.code ? { BERTH_CODE_DIR: releaseDirectory(layout, app.code.ref) } : {}),
                },
                task,
            }),
        ),
    );
}

/**
 * Takes one web host out of nginx's rotation (or back in) around its
 * replacement. Only a container replacement drains; the code path reloads in
 * place. The drain runs when the settings change; the undrain whenever the
 * host has a new container, so a host drained by a failed rollout comes back
 * into rotation when the rollback puts a healthy container there.
 */
function drainStep(args: RolloutArgs, hostName: string, drained: boolean, dependsOn: pulumi.Resource[], newContainerId?: pulumi.Output<string>): command.remote.Command {
    return new command.remote.Command(`${args.name}-${drained ? "drain" : "undrain"}-${hostName}`, {
        connection: args.loadBalancer.host.connection,
        create: args.loadBalancer.drainCommand(args.app.name, hostName, drained),
        triggers: newContainerId ? [newContainerId] : [args.containerFingerprint],
    }, { parent: args.parent, dependsOn });
}

/**
 * Right before berth's container is (re)created: a container under its name
 * that berth did not start (a hand-made `docker run`) is stopped with the
 * app's grace and removed, after the host was drained (web) or the steps
 * before it ran (worker, beat). Runs with every new container; `berth deploy`
 * also replaces it to adopt a host that drifted.
 */
function adoptStep(args: RolloutArgs, host: Host, role: "web" | "worker" | "beat", dependsOn: pulumi.Resource[]): command.remote.Command {
    return new command.remote.Command(`${args.name}-${role}-adopt-${host.hostName}`, {
        connection: host.connection,
        create: removeContainerNotStartedByBerth(containerNames[role](args.app.name), args.app.name, role, args.app.stopGraceSeconds),
        triggers: [args.containerFingerprint],
    }, { parent: args.parent, dependsOn });
}

/** Points the host's code link at the new release and touches the ini (the fast path's reload). */
function codeSwitchStep(args: RolloutArgs, files: AppHostFiles, dependsOn: pulumi.Resource[]): command.remote.Command | undefined {
    if (!args.app.code || !files.checkout) {
        return undefined;
    }
    return new command.remote.Command(`${args.name}-code-${files.host.hostName}`, {
        connection: files.host.connection,
        create: switchReleaseAndReload(args.layout, args.app.code.ref, containerNames.web(args.app.name), args.app.healthTimeoutSeconds, args.app.reload),
        triggers: [args.app.code.ref],
    }, { parent: args.parent, dependsOn: [...dependsOn, files.checkout, ...(files.uwsgiIni ? [files.uwsgiIni] : [])] });
}

function containerBase(args: RolloutArgs, host: Host, role: "web" | "worker" | "beat"): docker.ContainerArgs {
    const { app, layout } = args;
    return {
        name: containerNames[role](app.name),
        image: imageReference(app),
        envs: environmentList(containerEnvironment(app, layout, host.hostName, role)),
        // The settings, secrets, ini and code read-only; only the runtime directory writable.
        volumes: appVolumes(layout, layout.runtime).map((volume) => ({ hostPath: volume.path, containerPath: volume.path, readOnly: volume.readOnly })),
        ...(app.user ? { user: `${app.user.uid}:${app.user.gid}` } : {}),
        labels: [
            { label: "berth.app", value: app.name },
            { label: "berth.role", value: role },
            // Settings and secrets live in the env file; a change of them must replace the container.
            { label: "berth.fingerprint", value: args.containerFingerprint },
        ],
        restart: "unless-stopped",
        memory: app.memoryMb,
        // Set, not left to Docker: it would record 2 × memory, which the
        // official provider reads back and the next `up` plans to remove from
        // every container. Equal to memory: no swap, the limit is the limit.
        memorySwap: app.memoryMb,
        destroyGraceSeconds: app.stopGraceSeconds,
        ...ROTATED_LOGS,
    };
}

/** A worker or beat container, and on the code path its restart after the code switch. */
function backgroundContainer(
    args: RolloutArgs,
    role: "worker" | "beat",
    hostName: string,
    switched: Map<string, command.remote.Command>,
    previous: pulumi.Resource[],
): { container: docker.Container; done: pulumi.Resource[] } {
    const files = args.filesByHost.get(hostName)!;
    let codeSwitch = switched.get(hostName);
    if (!codeSwitch) {
        codeSwitch = codeSwitchStep(args, files, previous);
        if (codeSwitch) {
            switched.set(hostName, codeSwitch);
        }
    }
    const adopt = adoptStep(args, files.host, role, [...previous, ...(codeSwitch ? [codeSwitch] : [])]);
    const container = new docker.Container(`${args.name}-${role}-${hostName}`, {
        ...containerBase(args, files.host, role),
        command: [role],
    }, { parent: args.parent, provider: files.host.dockerProvider, dependsOn: [adopt, files.image, files.envFile] });
    if (!args.app.code) {
        return { container, done: [container] };
    }
    const restart = new command.remote.Command(`${args.name}-${role}-restart-${hostName}`, {
        connection: files.host.connection,
        create: restartUnlessStartedAfterSwitch(containerNames[role](args.app.name), args.app.stopGraceSeconds, args.layout.code),
        triggers: [args.app.code.ref],
    }, { parent: args.parent, dependsOn: [container] });
    return { container, done: [restart] };
}
