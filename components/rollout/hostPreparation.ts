import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { AppSpec, webPorts } from "../config/types";
import { Host } from "../host";
import { AppLayout, IMAGE_CODE_DIRECTORY } from "../render/layout";
import { renderUwsgiIni } from "../render/uwsgi";
import { WEB_CONTAINER_PORT } from "./containerSettings";
import { imageReference } from "../naming";
import { rolloutNames } from "./names";
import { fetchRelease, installEnvFile, installFileFromStdin, prepareAppRoot } from "../shell/commands";

/**
 * The app's uWSGI ini, the same on every web host. Part of the web
 * containers' fingerprint: a running uWSGI does not take every change of it
 * in place (a chain reload keeps the master's settings), so a change of it
 * replaces the web containers, host by host, health-gated.
 */
export function appUwsgiIni(app: AppSpec, layout: AppLayout): string {
    return renderUwsgiIni({
        appName: app.name,
        httpPort: WEB_CONTAINER_PORT,
        codeDirectory: app.code ? layout.code : IMAGE_CODE_DIRECTORY,
        wsgiModule: app.wsgiModule,
        processes: app.processes,
        threads: app.threads,
        reload: app.reload,
        iniPath: layout.uwsgiIni,
        readyPath: layout.uwsgiReady,
        fifoPath: layout.uwsgiFifo,
        statsPath: layout.uwsgiStats,
        harakiriSeconds: 60,
        staticDirectory: layout.staticFiles,
    });
}

/** What one host holds for an app before any container of the new version starts. */
export interface PreparedHost {
    host: Host;
    /** The image, pulled on this host. */
    image: docker.RemoteImage;
    /** The 0600 env file. */
    envFile: command.remote.Command;
    /** The new code ref's checkout, when the app's code lives in a host volume. */
    checkout?: command.remote.Command;
    /** The uWSGI ini, on web hosts. */
    uwsgiIni?: command.remote.Command;
}

export interface PrepareHostArgs {
    app: AppSpec;
    layout: AppLayout;
    host: Host;
    /** The rendered env file: settings and secrets. */
    envFile: pulumi.Output<string>;
    /** The rendered uWSGI ini (appUwsgiIni), installed on web hosts: the one the web containers' fingerprint holds. */
    uwsgiIni: string;
    isWebHost: boolean;
    /** The env file (and so every container of the app) waits for these: the accessories the app uses. */
    after: pulumi.Resource[];
    parent: pulumi.Resource;
}

/**
 * Pulls the image and lays out the host volume on one host: the directory,
 * the env file, the uWSGI ini and the code checkout. None of it touches a
 * running container: the new checkout goes into its own release directory.
 */
export function prepareAppHost(name: string, args: PrepareHostArgs): PreparedHost {
    const { app, layout, host, parent } = args;
    const connection = host.connection;
    const resourceName = (part: "volume" | "image" | "env-file" | "checkout" | "uwsgi-ini") => rolloutNames(name).hostFile(part, host.hostName);

    const volume = new command.remote.Command(resourceName("volume"), {
        connection,
        // On web hosts, a runtime directory for each of the two web ports.
        create: prepareAppRoot(layout, app.user, args.isWebHost ? webPorts(app) : []),
    }, { parent });

    const image = new docker.RemoteImage(resourceName("image"), {
        name: imageReference(app),
        // Rollback needs the previous image still on the host.
        keepLocally: true,
    }, { parent, provider: host.dockerProvider });

    // After the pull: without a configured user, the check reads the image's USER.
    const envFile = new command.remote.Command(resourceName("env-file"), {
        connection,
        create: installEnvFile(layout, imageReference(app), app.user, app.name),
        stdin: args.envFile,
    }, { parent, dependsOn: [volume, image, ...args.after] });

    const checkout = app.code
        ? new command.remote.Command(resourceName("checkout"), {
              connection,
              create: fetchRelease(layout, app.code.repository, app.code.ref, app.code.allowedBranches),
              triggers: [app.code.ref],
          }, { parent, dependsOn: [volume] })
        : undefined;

    const uwsgiIni = args.isWebHost
        ? new command.remote.Command(resourceName("uwsgi-ini"), {
              connection,
              create: installFileFromStdin(layout.uwsgiIni, "0644"),
              stdin: args.uwsgiIni,
          }, { parent, dependsOn: [volume] })
        : undefined;

    return { host, image, envFile, checkout, uwsgiIni };
}
