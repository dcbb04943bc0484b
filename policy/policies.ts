// berth's policies, one per rule in rules.ts. index.ts makes them a pack.
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as docker from "@pulumi/docker";
import * as digitalocean from "@pulumi/digitalocean";
import {
    ContainerInputs, credentialSettingProblems, imageTagProblem, logRotationProblem, plainSecretProblems, plainSettingProblems, publicPortProblems,
    webHealthCheckProblem, worldSshProblems,
} from "./rules";
import { SECRET_SETTING_NAME } from "../components/config/patterns";

function containerPolicy(name: string, description: string, problems: (inputs: ContainerInputs) => string[] | string | undefined): ResourceValidationPolicy {
    return {
        name,
        description,
        validateResource: validateResourceOfType(docker.Container, (container, _args, reportViolation) => {
            const found = problems(container as unknown as ContainerInputs);
            for (const problem of Array.isArray(found) ? found : found ? [found] : []) {
                reportViolation(problem);
            }
        }),
    };
}

export const policies: ResourceValidationPolicy[] = [
    containerPolicy("no-latest-tag", "Images are pinned to a version: no `latest`, no missing tag.", (inputs) => imageTagProblem(inputs.image)),
    {
        name: "no-latest-pull",
        description: "Pulled images are pinned to a version.",
        validateResource: validateResourceOfType(docker.RemoteImage, (image, _args, reportViolation) => {
            const problem = imageTagProblem(image.name);
            if (problem) {
                reportViolation(problem);
            }
        }),
    },
    containerPolicy("web-health-check", "Every web container has a health check the rollout waits on.", webHealthCheckProblem),
    containerPolicy("log-rotation", "Every container rotates its logs.", logRotationProblem),
    containerPolicy("secrets-in-secret-config", "Secret settings reach containers through berth:secrets, not plain env.", plainSecretProblems),
    {
        name: "secrets-not-in-plain-settings",
        description: "An app's settings named like secrets, or holding a credential, come from berth:secrets (encrypted), not berth:apps[].env.",
        validateResource: (resource, reportViolation) => {
            if (resource.type !== "berth:index:App") {
                return;
            }
            const namesIn = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
            // A setting named like a secret is reported once, by its name, whatever its value holds.
            const holding = namesIn(resource.props.credentialSettings).filter((name) => !SECRET_SETTING_NAME.test(name));
            for (const problem of [...plainSettingProblems(resource.name, namesIn(resource.props.plainSettings)), ...credentialSettingProblems(resource.name, holding)]) {
                reportViolation(problem);
            }
        },
    },
    containerPolicy("no-public-ports", "No container but nginx publishes a port on a public address.", publicPortProblems),
    {
        name: "no-world-ssh",
        description: "The firewall never opens SSH (22) to the whole internet.",
        validateResource: validateResourceOfType(digitalocean.Firewall, (firewall, _args, reportViolation) => {
            for (const problem of worldSshProblems(firewall.inboundRules)) {
                reportViolation(problem);
            }
        }),
    },
];
