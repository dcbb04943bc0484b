package docker

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const defaultDockerHost = "unix:///var/run/docker.sock"

// providerConfig is the docker provider configuration ("docker:host", ...).
type providerConfig struct {
	// host is the daemon address: unix://, tcp:// (no TLS) or ssh://.
	host string
	// hostUnknown is set during previews where the host is computed from
	// other resources; Docker cannot be reached then, and is not needed.
	hostUnknown bool
	// sshOptions are extra flags for the ssh command (ssh:// hosts only).
	sshOptions []string
	// registryCredentials are used when pulling images.
	registryCredentials []registryCredential
}

type registryCredential struct {
	address      string
	username     string
	password     string
	authDisabled bool
}

// Provider configuration keys this provider implements; any other key set
// (caMaterial, certMaterial, keyMaterial, certPath, context) is rejected.
// disableDockerDaemonCheck is accepted: this provider never checks the
// daemon at configuration time anyway.
var (
	supportedConfigKeys = keySet("host", "sshOpts", "registryAuth", "disableDockerDaemonCheck")
	// engineConfigKeys are added by the Pulumi engine, not by the user.
	engineConfigKeys         = keySet("version", "pluginDownloadURL")
	supportedRegistryAuthKey = keySet("address", "username", "password", "authDisabled")
)

// configValues merges the two ways the engine sends configuration: as
// provider inputs (args) or as "docker:config:key" / "docker:key" variables.
func configValues(args resource.PropertyMap, variables map[string]string) resource.PropertyMap {
	values := resource.PropertyMap{}
	for name, value := range variables {
		key := name
		for _, prefix := range []string{"docker:config:", "docker:"} {
			if strings.HasPrefix(name, prefix) {
				key = strings.TrimPrefix(name, prefix)
				break
			}
		}
		values[resource.PropertyKey(key)] = resource.NewStringProperty(value)
	}
	for key, value := range args {
		values[key] = value
	}
	return values
}

// unsupportedConfigProblems lists configuration keys that are set but not
// supported, each as a readable message.
func unsupportedConfigProblems(values resource.PropertyMap) []string {
	var problems []string
	for _, key := range values.StableKeys() {
		name := string(key)
		if supportedConfigKeys[name] || engineConfigKeys[name] || strings.HasPrefix(name, "__") {
			continue
		}
		if isZeroValue(values[key]) {
			continue
		}
		problems = append(problems, fmt.Sprintf(
			"docker provider configuration `%s` is not supported by berth's offline docker provider", name))
	}
	return problems
}

// parseProviderConfig reads the configuration. Compound values may arrive as
// JSON text (the SDK's Provider resource and stack config encode them so) or
// as structured values.
func parseProviderConfig(values resource.PropertyMap) (providerConfig, error) {
	if problems := unsupportedConfigProblems(values); len(problems) > 0 {
		return providerConfig{}, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	config := providerConfig{}
	bag := newPropertyBag(values)

	if hostValue, ok := values["host"]; ok && isUnknown(hostValue) {
		config.hostUnknown = true
	}
	config.host = bag.stringValue("host")
	if config.host == "" && !config.hostUnknown {
		config.host = os.Getenv("DOCKER_HOST")
	}
	if config.host == "" && !config.hostUnknown {
		config.host = defaultDockerHost
	}

	sshOptions, err := decodeJSONOrValue(values["sshOpts"])
	if err != nil {
		return providerConfig{}, fmt.Errorf("docker provider configuration `sshOpts`: %w", err)
	}
	if sshOptions != nil {
		list, ok := sshOptions.([]any)
		if !ok {
			return providerConfig{}, fmt.Errorf("docker provider configuration `sshOpts` must be a list of strings")
		}
		for _, option := range list {
			text, ok := option.(string)
			if !ok {
				return providerConfig{}, fmt.Errorf("docker provider configuration `sshOpts` must be a list of strings")
			}
			config.sshOptions = append(config.sshOptions, text)
		}
	}

	registryAuth, err := decodeJSONOrValue(values["registryAuth"])
	if err != nil {
		return providerConfig{}, fmt.Errorf("docker provider configuration `registryAuth`: %w", err)
	}
	if registryAuth != nil {
		credentials, err := parseRegistryCredentials(registryAuth)
		if err != nil {
			return providerConfig{}, err
		}
		config.registryCredentials = credentials
	}
	return config, nil
}

func parseRegistryCredentials(raw any) ([]registryCredential, error) {
	list, ok := raw.([]any)
	if !ok {
		// A single object is accepted too, as older SDKs sent it that way.
		if single, isObject := raw.(map[string]any); isObject {
			list = []any{single}
		} else {
			return nil, fmt.Errorf("docker provider configuration `registryAuth` must be a list of objects")
		}
	}
	var credentials []registryCredential
	for index, entry := range list {
		fields, ok := entry.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("docker provider configuration `registryAuth[%d]` must be an object", index)
		}
		var unsupported []string
		for name, value := range fields {
			if !supportedRegistryAuthKey[name] && value != nil && value != "" {
				unsupported = append(unsupported, name)
			}
		}
		if len(unsupported) > 0 {
			sort.Strings(unsupported)
			return nil, fmt.Errorf("docker provider configuration `registryAuth[%d].%s` is not supported by berth's offline docker provider",
				index, unsupported[0])
		}
		credential := registryCredential{}
		credential.address, _ = fields["address"].(string)
		credential.username, _ = fields["username"].(string)
		credential.password, _ = fields["password"].(string)
		credential.authDisabled, _ = fields["authDisabled"].(bool)
		if credential.address == "" {
			return nil, fmt.Errorf("docker provider configuration `registryAuth[%d].address` is required", index)
		}
		// Same fallbacks as the official provider.
		if credential.username == "" {
			credential.username = os.Getenv("DOCKER_REGISTRY_USER")
		}
		if credential.password == "" {
			credential.password = os.Getenv("DOCKER_REGISTRY_PASS")
		}
		credentials = append(credentials, credential)
	}
	return credentials, nil
}

// decodeJSONOrValue turns a configuration value into plain Go data: a string
// holding JSON is decoded, structured values are converted as they are.
func decodeJSONOrValue(value resource.PropertyValue) (any, error) {
	if isUnknown(value) {
		return nil, nil
	}
	value = withoutSecrets(value)
	if value.IsNull() {
		return nil, nil
	}
	if value.IsString() {
		text := strings.TrimSpace(value.StringValue())
		if text == "" || text == "null" || text == "undefined" {
			return nil, nil
		}
		var decoded any
		if err := json.Unmarshal([]byte(text), &decoded); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		return decoded, nil
	}
	return value.Mappable(), nil
}
