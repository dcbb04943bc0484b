package command

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

// remoteCommandKind is command:remote:Command: the command runs over SSH, in
// the remote user's login shell (as `ssh host 'command'` would).
type remoteCommandKind struct{}

func (remoteCommandKind) name() string { return string(remoteCommandToken) }

func (remoteCommandKind) ownProperties() propertySpec {
	return propertySpec{supported: map[string]valueKind{"connection": objectValue}}
}

func (kind remoteCommandKind) checkOwnInputs(validator *inputValidator, news resource.PropertyMap) {
	validator.requireProperty(kind.name(), "connection", news, "connection")
	checkConnection(validator, kind.name(), "connection.", news["connection"], true)
}

// normalize applies the connection defaults and keeps the whole connection
// secret, as the official schema does (it holds credentials).
func (remoteCommandKind) normalize(inputs resource.PropertyMap) {
	if isSet(inputs, "connection") {
		inputs["connection"] = asSecret(withConnectionDefaults(inputs["connection"]))
	}
}

func (remoteCommandKind) runnerFor(inputs resource.PropertyMap) (commandRunner, error) {
	connection, err := parseConnection(inputs["connection"])
	if err != nil {
		return nil, err
	}
	return remoteRunner{connection: connection}, nil
}

// remoteRunner runs a command in a fresh SSH session (one connection per
// run, like the official provider).
type remoteRunner struct {
	connection sshConnection
}

// Above this size PULUMI_COMMAND_STDOUT/STDERR are not exported on the
// command line (the SSH exec request has a size limit); they are optional.
const largestExportedPreviousOutput = 64 * 1024

func (runner remoteRunner) run(ctx context.Context, step resourceStep, invocation commandInvocation) (commandResult, error) {
	client, err := runner.connection.dial(ctx, step)
	if err != nil {
		return commandResult{}, err
	}
	defer func() { _ = client.Close() }()
	// Closing the connection is the only reliable way to stop a remote
	// command: OpenSSH ignores signal requests for sessions without a tty.
	stopWatching := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stopWatching()

	session, err := client.NewSession()
	if err != nil {
		return commandResult{}, fmt.Errorf("opening an SSH session on %s: %w", runner.connection.address(), err)
	}
	defer func() { _ = session.Close() }()

	exports, err := runner.setEnvironment(ctx, step, session, invocation)
	if err != nil {
		return commandResult{}, err
	}
	if invocation.stdin != "" {
		session.Stdin = strings.NewReader(invocation.stdin)
	}
	collector := newOutputCollector(ctx, step, invocation.logging)
	session.Stdout = collector.stdoutWriter()
	session.Stderr = collector.stderrWriter()
	err = session.Run(exports + invocation.commandText)
	collector.finish()
	if err == nil {
		return collector.result(), nil
	}
	return commandResult{}, &commandFailure{
		exit:        remoteExitDescription(ctx, err),
		commandText: invocation.commandText,
		isSecret:    invocation.commandIsSecret,
		outputTail:  collector.outputTail(),
	}
}

// setEnvironment passes variables with the session's "env" requests. OpenSSH
// accepts only names listed in sshd_config's AcceptEnv (Debian: LANG LC_*),
// so refused variables are exported in front of the command instead; the
// returned prefix does that. The official provider fails the step for a
// refused `environment` variable and skips refused PULUMI_COMMAND_* ones;
// the warning says so, so berth does not come to rely on the difference.
func (runner remoteRunner) setEnvironment(
	ctx context.Context, step resourceStep, session *ssh.Session, invocation commandInvocation,
) (string, error) {
	var refused []environmentVariable
	for _, variable := range invocation.environment {
		if session.Setenv(variable.name, variable.value) != nil {
			refused = append(refused, variable)
		}
	}
	for _, variable := range invocation.previousOutput {
		if session.Setenv(variable.name, variable.value) == nil {
			continue
		}
		if len(variable.value) > largestExportedPreviousOutput {
			step.warn(ctx, fmt.Sprintf("the SSH server refused %s and it is too large to export on the command line; "+
				"the command runs without it", variable.name))
			continue
		}
		refused = append(refused, variable)
	}
	if len(refused) == 0 {
		return "", nil
	}
	names := make([]string, len(refused))
	var prefix strings.Builder
	for index, variable := range refused {
		if !shellVariableName.MatchString(variable.name) {
			return "", fmt.Errorf("the SSH server refused environment variable %q and its name cannot be exported by a shell", variable.name)
		}
		names[index] = variable.name
		prefix.WriteString("export " + variable.name + "=" + shellQuote(variable.value) + "; ")
	}
	step.warn(ctx, fmt.Sprintf("the SSH server on %s refused environment variables %s (not in its AcceptEnv); "+
		"berth's provider exported them in front of the command instead, "+
		"where the official command provider would fail (environment) or leave them unset (PULUMI_COMMAND_*)",
		runner.connection.address(), strings.Join(names, ", ")))
	return prefix.String(), nil
}

var shellVariableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func remoteExitDescription(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "cancellation (" + ctx.Err().Error() + ")"
	}
	var exitError *ssh.ExitError
	if errors.As(err, &exitError) {
		if exitError.Signal() != "" {
			return "signal " + exitError.Signal()
		}
		return fmt.Sprintf("exit code %d", exitError.ExitStatus())
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return "no exit status (the connection dropped or the remote process was killed)"
	}
	return "an SSH error (" + err.Error() + ")"
}
