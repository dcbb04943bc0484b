package command

import (
	"context"
	"maps"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// commandKind is what differs between local.Command and remote.Command:
// their own inputs, and where the command runs.
type commandKind interface {
	name() string // for messages: "command:local:Command"
	// ownProperties are the inputs this kind adds to the common ones.
	ownProperties() propertySpec
	checkOwnInputs(validator *inputValidator, news resource.PropertyMap)
	// normalize adds defaults and secret markers to checked inputs.
	normalize(inputs resource.PropertyMap)
	runnerFor(inputs resource.PropertyMap) (commandRunner, error)
}

// commandRunner runs one command string somewhere.
type commandRunner interface {
	run(ctx context.Context, step resourceStep, invocation commandInvocation) (commandResult, error)
}

// commandInvocation is everything a runner needs for one run.
type commandInvocation struct {
	commandText     string
	commandIsSecret bool
	environment     []environmentVariable // the `environment` input
	previousOutput  []environmentVariable // PULUMI_COMMAND_STDOUT/STDERR
	stdin           string
	logging         loggingChoice
}

// commandResource implements the lifecycle shared by local.Command and
// remote.Command, following the official provider:
//   - create runs `create`;
//   - an input change runs `update`, or `create` again when there is no
//     `update` (a change of `create` itself therefore reruns it in place);
//   - a change of `triggers` replaces the resource (create the new one, then
//     delete the old one with its old inputs: not delete-before-replace);
//   - delete runs the old state's `delete`;
//   - update and delete see the previous stdout/stderr as
//     PULUMI_COMMAND_STDOUT/PULUMI_COMMAND_STDERR unless
//     addPreviousOutputInEnv is false.
type commandResource struct {
	kind commandKind
}

// Properties every command understands.
var commonCommandProperties = map[string]valueKind{
	"create":                 stringValue,
	"update":                 stringValue,
	"delete":                 stringValue,
	"triggers":               anyListValue,
	"environment":            stringMapValue,
	"stdin":                  stringValue,
	"addPreviousOutputInEnv": boolValue,
	"logging":                stringValue,
}

// Outputs that are not inputs; left out when diffing old state against new inputs.
var commandOnlyOutputs = []resource.PropertyKey{"stdout", "stderr", "assets", "archive"}

// Changing these replaces the resource (the SDK also asks for it with
// replaceOnChanges: ["triggers[*]"]).
var commandReplaceKeys = map[string]bool{"triggers": true}

func (command commandResource) check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	validator := &inputValidator{}
	own := command.kind.ownProperties()
	spec := propertySpec{supported: maps.Clone(commonCommandProperties), unsupported: own.unsupported}
	maps.Copy(spec.supported, own.supported)

	validator.checkProperties(command.kind.name(), "", news, spec)
	validator.checkOneOf("logging", news, "logging", loggingChoices)
	for _, variable := range environmentInput(news, "environment") {
		if variable.name == "" || strings.Contains(variable.name, "=") {
			validator.fail("property \"environment\" has an invalid variable name %q", variable.name)
		}
	}
	command.kind.checkOwnInputs(validator, news)

	checked := news.Copy()
	if !isSet(checked, "addPreviousOutputInEnv") {
		// The official schema defaults it to true and Check fills it in.
		checked["addPreviousOutputInEnv"] = resource.NewBoolProperty(true)
	}
	command.kind.normalize(checked)
	return checked, validator.failures
}

func (command commandResource) diff(oldState, news resource.PropertyMap) *pulumirpc.DiffResponse {
	oldInputs := oldState.Copy()
	for _, key := range commandOnlyOutputs {
		delete(oldInputs, key)
	}
	return providerkit.InputDiff(oldInputs, news, commandReplaceKeys)
}

func (command commandResource) create(ctx context.Context, step resourceStep, inputs resource.PropertyMap) (resource.PropertyMap, error) {
	outputs := command.outputsFor(inputs)
	if step.preview {
		outputs["stdout"], outputs["stderr"] = unknownString(), unknownString()
		return outputs, nil
	}
	outputs["stdout"], outputs["stderr"] = resource.NewStringProperty(""), resource.NewStringProperty("")
	if !isSet(inputs, "create") {
		return outputs, nil
	}
	result, err := command.runInput(ctx, step, "create", inputs, nil)
	if err != nil {
		return nil, err
	}
	command.recordResult(outputs, result)
	return outputs, nil
}

func (command commandResource) update(ctx context.Context, step resourceStep, oldState, news resource.PropertyMap) (resource.PropertyMap, error) {
	outputs := command.outputsFor(news)
	if step.preview {
		outputs["stdout"], outputs["stderr"] = unknownString(), unknownString()
		return outputs, nil
	}
	// Without a command to run, the previous outputs stay (official behaviour).
	outputs["stdout"], outputs["stderr"] = previousOutput(oldState, "stdout"), previousOutput(oldState, "stderr")
	inputKey := "update"
	if !isSet(news, "update") {
		inputKey = "create"
	}
	if !isSet(news, inputKey) {
		return outputs, nil
	}
	result, err := command.runInput(ctx, step, inputKey, news, oldState)
	if err != nil {
		return nil, err
	}
	command.recordResult(outputs, result)
	return outputs, nil
}

func (command commandResource) delete(ctx context.Context, step resourceStep, oldState resource.PropertyMap) error {
	if !isSet(oldState, "delete") {
		return nil
	}
	_, err := command.runInput(ctx, step, "delete", oldState, oldState)
	return err
}

// outputsFor starts the outputs from the inputs, secret markers included:
// the official outputs are a superset of the inputs.
func (command commandResource) outputsFor(inputs resource.PropertyMap) resource.PropertyMap {
	outputs := inputs.Copy()
	command.kind.normalize(outputs)
	return outputs
}

// recordResult stores stdout and stderr. They are not made secret when an
// input is: the official provider (pulumi-go-provider's default secret flow)
// only keeps secret the outputs that mirror a secret input of the same name.
// Use additionalSecretOutputs for output that must stay secret.
func (command commandResource) recordResult(outputs resource.PropertyMap, result commandResult) {
	outputs["stdout"] = resource.NewStringProperty(result.stdout)
	outputs["stderr"] = resource.NewStringProperty(result.stderr)
}

// runInput runs the command held by inputs[inputKey]. previousState, when
// not nil, supplies PULUMI_COMMAND_STDOUT/STDERR.
func (command commandResource) runInput(
	ctx context.Context, step resourceStep, inputKey string, inputs, previousState resource.PropertyMap,
) (commandResult, error) {
	runner, err := command.kind.runnerFor(inputs)
	if err != nil {
		return commandResult{}, err
	}
	commandText, _ := stringInput(inputs, inputKey)
	stdin, _ := stringInput(inputs, "stdin")
	logging, _ := stringInput(inputs, "logging")
	invocation := commandInvocation{
		commandText:     commandText,
		commandIsSecret: inputs[resource.PropertyKey(inputKey)].ContainsSecrets(),
		environment:     environmentInput(inputs, "environment"),
		stdin:           stdin,
		logging:         loggingChoice(logging),
	}
	if previousState != nil && boolInput(inputs, "addPreviousOutputInEnv", true) {
		invocation.previousOutput = previousOutputVariables(previousState)
	}
	return runner.run(ctx, step, invocation)
}

// previousOutputVariables are set only when non-empty, like the official provider.
func previousOutputVariables(previousState resource.PropertyMap) []environmentVariable {
	var variables []environmentVariable
	if stdout, _ := stringInput(previousState, "stdout"); stdout != "" {
		variables = append(variables, environmentVariable{name: "PULUMI_COMMAND_STDOUT", value: stdout})
	}
	if stderr, _ := stringInput(previousState, "stderr"); stderr != "" {
		variables = append(variables, environmentVariable{name: "PULUMI_COMMAND_STDERR", value: stderr})
	}
	return variables
}

// previousOutput keeps an old output as it was (secret marker included).
func previousOutput(oldState resource.PropertyMap, key resource.PropertyKey) resource.PropertyValue {
	if value, ok := oldState[key]; ok && !value.IsNull() {
		return value
	}
	return resource.NewStringProperty("")
}
