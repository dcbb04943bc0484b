import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { AppSpec, webPorts } from "../config/types";
import { PreparedHost } from "./hostPreparation";
import { containerEnvironment, environmentList, ROTATED_LOGS, WEB_CONTAINER_PORT, webHealthCheckCommand } from "./containerSettings";
import { Host } from "../host";
import { LoadBalancer } from "../loadBalancer";
import { containerNames, imageReference } from "../naming";
import { hostAndPort } from "../render/address";
import { AppLayout, webRuntimeDirectory } from "../render/layout";
import { rolloutNames } from "./names";
import { planRollout, RestartOnHost } from "./plan";
import { pruneKeptReleases } from "../shell/prune";
import { runWhenInputsChanged } from "../shell/releaseTasks";
import {
    appVolumes, ContainersToStop, releaseDirectory, removeContainerNotStartedByBerth, restartRoleUnlessStartedAfterSwitch,
    runOneShotTask, stopContainers, switchReleaseAndReload, waitForHttp,
} from "../shell/commands";
import { scriptsInSequence } from "../shell/quote";

export interface RolloutArgs {
    name: string;
    app: AppSpec;
    layout: AppLayout;
    filesByHost: Map<string, PreparedHost>;
    loadBalancer: LoadBalancer;
    /** Changes whenever the containers must be replaced: image, settings, secrets. */
    containerFingerprint: pulumi.Output<string>;
    /** The same for the web containers, which also run the uWSGI ini. */
    webContainerFingerprint: pulumi.Output<string>;
    /** The first drain waits for these: apps roll through one nginx one at a time. */
    drainAfter: pulumi.Resource[];
    parent: pulumi.Resource;
}

export interface RolloutResources {
    release?: command.remote.Command;
    /** collectstatic on every web host. */
    staticFiles: command.remote.Command[];
    web: docker.Container[];
    /** Per web host, the port its new web container publishes (what nginx points at after the rollout). */
    webPortByHost: Record<string, pulumi.Output<number>>;
    workers: docker.Container[];
    beat?: docker.Container;
    /** The last steps (one per host): depend on them to run after the whole app is deployed. */
    done: pulumi.Resource[];
}

/**
 * Wires the app's deploy into the Pulumi graph step by step of planRollout,
 * the one source of the order: every step `dependsOn` the one before, so
 * the engine both shows the order in previews and enforces it in `pulumi up`.
 */
export function createRollout(args: RolloutArgs): RolloutResources {
    const { app } = args;
    const prepared: pulumi.Resource[] = [...args.filesByHost.values()].flatMap((files) => [files.image, files.envFile, ...(files.checkout ? [files.checkout] : [])]);
    const result: RolloutResources = { staticFiles: [], web: [], webPortByHost: {}, workers: [], done: [args.loadBalancer.ready] };
    // Release and static tasks run side by side (both need only the new checkout); the web hosts wait for both.
    const releaseTasks: pulumi.Resource[] = [];
    let previous: pulumi.Resource[] = [...prepared, ...args.drainAfter, args.loadBalancer.ready];
    const switched = new Map<string, command.remote.Command>();
    const restarts: command.remote.Command[] = [];
    const besideLast: RestartOnHost[] = [];

    for (const step of planRollout(app)) {
        switch (step.kind) {
            case "pull":
            case "checkout":
                // Laid out on every host by prepareAppHost: `prepared`.
                break;
            case "release":
                result.release = releaseStep(args, step.host, step.tasks, prepared, rolloutNames(args.name).release);
                releaseTasks.push(result.release);
                break;
            case "static":
                result.staticFiles = step.hosts.map((hostName) => releaseStep(args, hostName, step.tasks, prepared, rolloutNames(args.name).staticFiles(hostName)));
                releaseTasks.push(...result.staticFiles);
                break;
            case "web": {
                const web = webHostSwap(args, step.host, [...previous, ...releaseTasks], switched);
                result.web.push(web.container);
                result.webPortByHost[step.host] = web.port;
                previous = [web.done];
                // Workers or beat on the last web host itself restart once its own switch has reloaded.
                const onThisHost = besideLast.find(({ host }) => host === step.host);
                restarts.push(...(onThisHost?.roles ?? []).map((role) => codeRestartStep(args, role, step.host, switched, [])));
                break;
            }
            case "restart":
                // Beside the last web host: both wait for the one before it (or the release tasks).
                for (const { host, roles } of step.hosts) {
                    if (host === step.beside) {
                        besideLast.push({ host, roles });
                        continue;
                    }
                    restarts.push(...roles.map((role) => codeRestartStep(args, role, host, switched, [...previous, ...releaseTasks])));
                }
                break;
            case "worker": {
                previous = [...previous, ...restarts];
                const workers = step.hosts.map((hostName) => backgroundContainer(args, "worker", hostName, switched, [...previous, ...releaseTasks]));
                result.workers.push(...workers.map((worker) => worker.container));
                previous = workers.flatMap((worker) => worker.done);
                break;
            }
            case "beat": {
                previous = [...previous, ...restarts];
                const beat = backgroundContainer(args, "beat", step.host, switched, [...previous, ...releaseTasks]);
                result.beat = beat.container;
                previous = beat.done;
                break;
            }
            case "prune":
                previous = step.hosts.map((hostName) => pruneStep(args, hostName, previous));
                break;
        }
    }
    result.done = previous;
    return result;
}

/** Release tasks on one host, once per new tag or ref, before any web container is replaced. */
function releaseStep(args: RolloutArgs, hostName: string, tasks: string[], prepared: pulumi.Resource[], resourceName: string): command.remote.Command {
    const host = args.filesByHost.get(hostName)!.host;
    return new command.remote.Command(resourceName, {
        connection: host.connection,
        create: releaseCommand(args, tasks, host),
        triggers: [args.app.image.tag, args.app.code?.ref ?? ""],
    }, { parent: args.parent, dependsOn: prepared });
}

/**
 * One web host's swap. blue-green: the new container starts beside the old
 * on the other port, is health-gated, nginx switches to it, then the old one
 * stops with its grace. drain-first: the host leaves nginx's rotation and
 * its old container stops first. Before either, the code path's switch.
 */
function webHostSwap(
    args: RolloutArgs,
    hostName: string,
    after: pulumi.Resource[],
    switched: Map<string, command.remote.Command>,
): { container: docker.Container; port: pulumi.Output<number>; done: pulumi.Resource } {
    const { app, parent } = args;
    const names = rolloutNames(args.name);
    const files = args.filesByHost.get(hostName)!;
    let previous = after;
    // The code path: the code link moves and the running container reloads in place. On a first
    // deploy (or a mixed change) the new container then starts on the new code.
    const codeSwitch = codeSwitchStep(args, files, previous, true);
    if (codeSwitch) {
        switched.set(hostName, codeSwitch);
        previous = [codeSwitch];
    }
    // The steps before a web host's new container run together or not at all: a clear or stop
    // step created without the port step re-running would stop the serving container. So a new
    // swap mode (whose steps are new) replaces the web containers, in the new mode.
    const beforeNewContainer = [args.webContainerFingerprint, app.swap];
    const { step: portStep, port } = webPortStep(args, hostName, previous, beforeNewContainer);
    const makeWay = app.swap === "drain-first"
        ? stopStep(args, files.host, "web", "stop", [drainStep(args, hostName, [portStep], beforeNewContainer)], pulumi.output({ allOfRole: true, publishing: webPorts(app), ...oldNames(app, "web") }), beforeNewContainer)
        // (The port is a property dependency: this runs after the port step.)
        : stopStep(args, files.host, "web", "clear", previous, port.apply((newPort) => ({ allOfRole: false, publishing: [newPort] })), beforeNewContainer);
    const container = new docker.Container(names.container("web", hostName), {
        ...containerBase(args, files.host, "web"),
        command: ["run"],
        ports: [{ internal: WEB_CONTAINER_PORT, external: port, ip: files.host.privateAddress }],
        // This container's own runtime directory (FIFO, ready file), at the path the ini names.
        volumes: port.apply((newPort) => containerVolumes(args.layout, webRuntimeDirectory(args.layout, newPort))),
        healthcheck: { tests: webHealthCheckCommand(app), interval: "2s", timeout: "3s", retries: 3, startPeriod: "2s" },
        wait: true,
        waitTimeout: app.healthTimeoutSeconds,
    }, {
        parent,
        provider: files.host.dockerProvider,
        dependsOn: [makeWay, files.image, files.envFile, ...(files.uwsgiIni ? [files.uwsgiIni] : [])],
        // The new container starts before the old one goes (the ports differ, the name is generated).
        deleteBeforeReplace: false,
    });
    const url = pulumi.all([files.host.privateAddress, port]).apply(([address, newPort]) => `http://${hostAndPort(address, newPort)}${app.healthPath}`);
    const healthy = new command.remote.Command(names.healthy(hostName), {
        connection: files.host.connection,
        create: url.apply((healthUrl) => waitForHttp(healthUrl, app.domain, app.healthTimeoutSeconds)),
        // A new container (a new ID) is checked again, even when a failed
        // rollout is being rolled back to the settings checked last time; and after a code switch.
        triggers: [container.id, app.code?.ref ?? ""],
    }, { parent, dependsOn: [container] });
    const undrain = undrainStep(args, hostName, port, files.host.privateAddress, container.id, [healthy]);
    const done = app.swap === "drain-first"
        ? undrain
        : stopStep(args, files.host, "web", "retire", [undrain], pulumi.all([port, container.id]).apply(([newPort, id]) => ({
              allOfRole: true,
              keepId: id,
              publishing: webPorts(app).filter((other) => other !== newPort),
              ...oldNames(app, "web"),
          })), [container.id]);
    return { container, port, done };
}

/**
 * The release tasks of one host, one after another. With `releaseWhen:
 * changed`, on the code path migrate and collectstatic run only when the
 * new commit changed their inputs (runWhenInputsChanged).
 */
function releaseCommand(args: RolloutArgs, tasks: string[], host: Host): string {
    const { app, layout } = args;
    const whenNeeded = (task: string, run: string) =>
        app.code && app.releaseWhen === "changed" ? runWhenInputsChanged(layout, task, app.code.ref, imageReference(app), run, app.env.DJANGO_SETTINGS_MODULE) : run;
    return scriptsInSequence(
        ...tasks.map((task) => whenNeeded(task,
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
            })),
        ),
    );
}

/**
 * On the load balancer, when the host's turn comes (nothing of this deploy
 * has touched its server line yet): the port the host's new web container
 * starts on, the one nginx does not point at now. Runs again whenever the
 * containers must be replaced.
 */
function webPortStep(
    args: RolloutArgs,
    hostName: string,
    dependsOn: pulumi.Resource[],
    triggers: pulumi.Input<string>[],
): { step: command.remote.Command; port: pulumi.Output<number> } {
    const ports = webPorts(args.app);
    const step = new command.remote.Command(rolloutNames(args.name).webPort(hostName), {
        connection: args.loadBalancer.host.connection,
        create: args.loadBalancer.nextWebPortCommand(args.app.name, hostName, ports),
        // An update without new containers (a new host key, say) re-runs this, not create: the
        // port nginx points at now, which is the running container's, so nothing is replaced.
        update: args.loadBalancer.nextWebPortCommand(args.app.name, hostName, ports, "current"),
        triggers,
    }, { parent: args.parent, dependsOn });
    const port = step.stdout.apply((stdout) => {
        const chosen = Number(stdout.trim());
        if (!ports.includes(chosen)) {
            throw new Error(`choosing the web port of ${args.app.name} on ${hostName}: expected ${ports.join(" or ")}, got ${JSON.stringify(stdout)}`);
        }
        return chosen;
    });
    return { step, port };
}

/**
 * After every container of the rollout: one host keeps the last
 * keepReleases code releases and image tags of the app (pruneKeptReleases).
 * Runs again with each new tag, ref or keepReleases.
 */
function pruneStep(args: RolloutArgs, hostName: string, dependsOn: pulumi.Resource[]): command.remote.Command {
    const { app, layout } = args;
    const host = args.filesByHost.get(hostName)!.host;
    return new command.remote.Command(rolloutNames(args.name).prune(hostName), {
        connection: host.connection,
        create: pruneKeptReleases({ layout, keep: app.keepReleases, repository: app.image.repository, tag: app.image.tag, withReleases: app.code !== undefined }),
        triggers: [app.image.tag, app.code?.ref ?? "", String(app.keepReleases)],
    }, { parent: args.parent, dependsOn });
}

/**
 * drain-first only: takes one web host out of nginx's rotation before its
 * old container stops. Runs when the containers must be replaced; the code
 * path reloads in place.
 */
function drainStep(args: RolloutArgs, hostName: string, dependsOn: pulumi.Resource[], triggers: pulumi.Input<string>[]): command.remote.Command {
    return new command.remote.Command(rolloutNames(args.name).drain(hostName), {
        connection: args.loadBalancer.host.connection,
        create: args.loadBalancer.drainCommand(args.app.name, hostName, true),
        triggers,
    }, { parent: args.parent, dependsOn });
}

/**
 * Puts the host's new web container into nginx's rotation: its server line
 * points at the new port, not drained. Runs whenever the host has a new
 * container, so a host drained by a failed rollout comes back when the
 * rollback puts a healthy container there.
 */
function undrainStep(
    args: RolloutArgs,
    hostName: string,
    port: pulumi.Output<number>,
    address: pulumi.Input<string>,
    containerId: pulumi.Output<string>,
    dependsOn: pulumi.Resource[],
): command.remote.Command {
    return new command.remote.Command(rolloutNames(args.name).undrain(hostName), {
        connection: args.loadBalancer.host.connection,
        create: pulumi.all([address, port]).apply(([hostAddress, newPort]) =>
            args.loadBalancer.pointServerCommand(args.app.name, { hostName, address: hostAddress, port: newPort, drained: false })),
        triggers: [containerId],
    }, { parent: args.parent, dependsOn });
}

/**
 * Stops containers of the app's role on one host (see stopContainers):
 * `clear` frees the new container's port, `retire` stops the old container
 * once nginx no longer sends it requests, `stop` (drain-first) stops the old
 * one before the new one starts. A hand-made container (a seed-style
 * `docker run`) is removed as well, so berth adopts the host.
 */
function stopStep(
    args: RolloutArgs,
    host: Host,
    role: "web" | "worker",
    purpose: "clear" | "retire" | "stop",
    dependsOn: pulumi.Resource[],
    which: pulumi.Output<Omit<ContainersToStop, "appName" | "role" | "graceSeconds">>,
    triggers: pulumi.Input<string>[],
): command.remote.Command {
    return new command.remote.Command(rolloutNames(args.name).stop(role, purpose, host.hostName), {
        connection: host.connection,
        create: which.apply((selection) => stopContainers({ ...selection, appName: args.app.name, role, graceSeconds: args.app.stopGraceSeconds })),
        // Only for a new container (triggers): an update (another grace, a new host key) stops nothing.
        update: "true",
        triggers,
    }, { parent: args.parent, dependsOn });
}

/** The fixed name berth (and the seeds' `docker run`) gave the role's container before containers had generated names. */
function oldNames(app: AppSpec, role: "web" | "worker"): { named: string } {
    return { named: containerNames[role](app.name) };
}

/**
 * Right before beat's container is (re)created: a container under its name
 * that berth did not start (a hand-made `docker run`) is stopped with the
 * app's grace and removed. Runs with every new container; `berth deploy`
 * also replaces it to adopt a host that drifted.
 */
function adoptStep(args: RolloutArgs, host: Host, dependsOn: pulumi.Resource[]): command.remote.Command {
    return new command.remote.Command(rolloutNames(args.name).beatAdopt(host.hostName), {
        connection: host.connection,
        create: removeContainerNotStartedByBerth(containerNames.beat(args.app.name), args.app.name, "beat", args.app.stopGraceSeconds),
        triggers: [args.containerFingerprint],
    }, { parent: args.parent, dependsOn });
}

/**
 * Points the host's code link at the new release and touches the ini (the
 * fast path's reload). On a web host it waits until the running web
 * container has reloaded; the health step after it checks it answers.
 */
function codeSwitchStep(args: RolloutArgs, files: PreparedHost, dependsOn: pulumi.Resource[], isWebHost = false): command.remote.Command | undefined {
    const { app, layout } = args;
    if (!app.code || !files.checkout) {
        return undefined;
    }
    const web = isWebHost ? { appName: app.name, runtimes: webPorts(app).map((port) => webRuntimeDirectory(layout, port)) } : undefined;
    return new command.remote.Command(rolloutNames(args.name).codeSwitch(files.host.hostName), {
        connection: files.host.connection,
        create: switchReleaseAndReload(layout, app.code.ref, web, app.healthTimeoutSeconds, app.reload),
        triggers: [app.code.ref],
    }, { parent: args.parent, dependsOn: [...dependsOn, files.checkout, ...(files.uwsgiIni ? [files.uwsgiIni] : [])] });
}

/** What a long-running container mounts: the host volume read-only, and its runtime directory writable at `layout.runtime`. */
function containerVolumes(layout: AppLayout, runtimeOnHost: string): docker.types.input.ContainerVolume[] {
    return appVolumes(layout, layout.runtime).map((volume) => ({
        hostPath: volume.path === layout.runtime ? runtimeOnHost : volume.path,
        containerPath: volume.path,
        readOnly: volume.readOnly,
    }));
}

function containerBase(args: RolloutArgs, host: Host, role: "web" | "worker" | "beat"): docker.ContainerArgs {
    const { app, layout } = args;
    return {
        // Web and worker containers get a generated name (`<resource>-<random>`): the new one
        // runs beside the old. Beat keeps one fixed name: never two beats, not even for a moment.
        ...(role === "beat" ? { name: containerNames.beat(app.name) } : {}),
        image: imageReference(app),
        envs: environmentList(containerEnvironment(app, layout, host.hostName, role)),
        // The settings, secrets, ini and code read-only; only the runtime directory writable.
        volumes: containerVolumes(layout, layout.runtime),
        ...(app.user ? { user: `${app.user.uid}:${app.user.gid}` } : {}),
        labels: [
            { label: "berth.app", value: app.name },
            { label: "berth.role", value: role },
            // Settings and secrets live in the env file (and the web containers' uWSGI settings in
            // the ini): a change of them must replace the container.
            { label: "berth.fingerprint", value: role === "web" ? args.webContainerFingerprint : args.containerFingerprint },
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

/**
 * A worker or beat container. A new worker starts beside the old one, which
 * then gets its warm shutdown; beat's old container is deleted before the
 * new one starts. On a host without web containers, the code switch comes
 * first (made by the code path's restart step, or here).
 */
function backgroundContainer(
    args: RolloutArgs,
    role: "worker" | "beat",
    hostName: string,
    switched: Map<string, command.remote.Command>,
    previous: pulumi.Resource[],
): { container: docker.Container; done: pulumi.Resource[] } {
    const files = args.filesByHost.get(hostName)!;
    const codeSwitch = hostCodeSwitch(args, files, switched, previous);
    const before = [...previous, ...(codeSwitch ? [codeSwitch] : [])];
    const container = new docker.Container(rolloutNames(args.name).container(role, hostName), {
        ...containerBase(args, files.host, role),
        command: [role],
    }, role === "beat"
        ? { parent: args.parent, provider: files.host.dockerProvider, dependsOn: [adoptStep(args, files.host, before), files.image, files.envFile] }
        : { parent: args.parent, provider: files.host.dockerProvider, dependsOn: [...before, files.image, files.envFile], deleteBeforeReplace: false });
    const started: pulumi.Resource = role === "beat"
        ? container
        : stopStep(args, files.host, "worker", "retire", [container], container.id.apply((id) => ({ allOfRole: true, keepId: id, publishing: [], ...oldNames(args.app, "worker") })), [container.id]);
    return { container, done: [started] };
}

/**
 * The code path's restart of the app's worker or beat containers on one
 * host, after its code switch, with the grace of a warm shutdown. It finds
 * them by their labels, so it needs nothing of the container resources and
 * runs beside the last web host's reload. A container on another image
 * than the app's is left alone: this deploy replaces it, on the new code.
 */
function codeRestartStep(
    args: RolloutArgs,
    role: "worker" | "beat",
    hostName: string,
    switched: Map<string, command.remote.Command>,
    previous: pulumi.Resource[],
): command.remote.Command {
    const files = args.filesByHost.get(hostName)!;
    const codeSwitch = hostCodeSwitch(args, files, switched, previous);
    return new command.remote.Command(rolloutNames(args.name).restart(role, hostName), {
        connection: files.host.connection,
        create: restartRoleUnlessStartedAfterSwitch(args.app.name, role, args.app.stopGraceSeconds, args.layout.code, imageReference(args.app)),
        triggers: [args.app.code?.ref ?? ""],
    }, { parent: args.parent, dependsOn: [...previous, ...(codeSwitch ? [codeSwitch] : [])] });
}

/** The host's code switch: the one made already (a web host's, or a restart's), or a new one after `previous`. */
function hostCodeSwitch(args: RolloutArgs, files: PreparedHost, switched: Map<string, command.remote.Command>, previous: pulumi.Resource[]): command.remote.Command | undefined {
    let codeSwitch = switched.get(files.host.hostName);
    if (!codeSwitch) {
        codeSwitch = codeSwitchStep(args, files, previous);
        if (codeSwitch) {
            switched.set(files.host.hostName, codeSwitch);
        }
    }
    return codeSwitch;
}
