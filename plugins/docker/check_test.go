package docker

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestUnsupportedInputsFailCheckWithTheirName(t *testing.T) {
	provider := NewProvider("5.2.0")
	cases := []struct {
		typeToken string
		inputs    resource.PropertyMap
		property  string
		message   string
	}{
		{
			containerType,
			resource.PropertyMap{"image": stringProperty(baseImage), "gpus": stringProperty("all")},
			"gpus",
			"docker.Container input `gpus` is not supported by berth's offline docker provider",
		},
		{
			containerType,
			resource.PropertyMap{"image": stringProperty(baseImage), "uploads": arrayProperty(objectProperty(resource.PropertyMap{
				"file": stringProperty("/x"), "content": stringProperty("x"), "owner": stringProperty("app"),
			}))},
			"uploads[0].owner",
			"docker.Container input `uploads[0].owner` is not supported by berth's offline docker provider",
		},
		{
			remoteImageType,
			resource.PropertyMap{"name": stringProperty("app:1"), "build": objectProperty(resource.PropertyMap{"context": stringProperty(".")})},
			"build",
			"docker.RemoteImage input `build` is not supported by berth's offline docker provider",
		},
		{
			volumeType,
			resource.PropertyMap{"cluster": objectProperty(resource.PropertyMap{"group": stringProperty("g")})},
			"cluster",
			"docker.Volume input `cluster` is not supported by berth's offline docker provider",
		},
		{
			containerType,
			resource.PropertyMap{"image": stringProperty(baseImage), "restart": stringProperty("sometimes")},
			"restart",
			"docker.Container input `restart` must be one of no, on-failure, always, unless-stopped",
		},
		{
			containerType,
			resource.PropertyMap{"command": stringListProperty([]string{"true"})},
			"image",
			"docker.Container input `image` is required",
		},
	}
	for _, testCase := range cases {
		_, failures := checkWithFailures(t, provider, testCase.typeToken, "subject", nil, testCase.inputs)
		if !hasFailure(failures, testCase.property, testCase.message) {
			t.Errorf("%s %v: want failure on %s saying %q, got %v", testCase.typeToken, testCase.inputs, testCase.property, testCase.message, failures)
		}
	}

	// Unknown values (previews) pass Check.
	_, failures := checkWithFailures(t, provider, containerType, "subject", nil, resource.PropertyMap{
		"image":   resource.MakeComputed(stringProperty("")),
		"uploads": resource.MakeComputed(stringProperty("")),
	})
	if len(failures) != 0 {
		t.Errorf("unknown values must pass Check: %v", failures)
	}

	config, err := provider.CheckConfig(context.Background(), &pulumirpc.CheckRequest{
		Urn:  "urn:pulumi:test::docker-provider::pulumi:providers:docker::default",
		News: mustMarshal(t, resource.PropertyMap{"certPath": stringProperty("/certs")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(config.GetFailures()) != 1 || !strings.Contains(config.GetFailures()[0].GetReason(), "`certPath` is not supported") {
		t.Errorf("an unsupported provider configuration must fail CheckConfig: %v", config.GetFailures())
	}
}

func TestProviderConfigurationAcceptsJSONEncodedValues(t *testing.T) {
	// The SDK's Provider resource sends sshOpts and registryAuth as JSON text.
	config, err := parseProviderConfig(configValues(resource.PropertyMap{
		"host":    stringProperty("ssh://deploy@203.0.113.5:2222"),
		"sshOpts": stringProperty(`["-o","StrictHostKeyChecking=no"]`),
		"registryAuth": resource.MakeSecret(stringProperty(
			`[{"address":"registry.lab:5000","username":"berth","password":"s3cret"}]`)),
		"version": stringProperty("5.2.0"),
	}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if config.host != "ssh://deploy@203.0.113.5:2222" || !equalStrings(config.sshOptions, []string{"-o", "StrictHostKeyChecking=no"}) {
		t.Errorf("config = %+v", config)
	}
	credential, found := credentialFor(config.registryCredentials, "registry.lab:5000/berth/app:1.2")
	if !found || credential.password != "s3cret" {
		t.Errorf("registry credential not found for the image: %+v", config.registryCredentials)
	}

	// Stack configuration arrives as "docker:config:key" variables.
	fromVariables, err := parseProviderConfig(configValues(nil, map[string]string{"docker:config:host": "unix:///run/other.sock"}))
	if err != nil || fromVariables.host != "unix:///run/other.sock" {
		t.Errorf("variables: %+v, %v", fromVariables, err)
	}

	dialer, err := newSSHDialer(mustParseURL(t, "ssh://deploy@203.0.113.5:2222"), config.sshOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-o", "StrictHostKeyChecking=no", "-l", "deploy", "-p", "2222", "--", "203.0.113.5", "docker", "system", "dial-stdio"}
	if !equalStrings(dialer.arguments, want) {
		t.Errorf("ssh arguments = %v, want %v", dialer.arguments, want)
	}
}

func hasFailure(failures []*pulumirpc.CheckFailure, property, message string) bool {
	for _, failure := range failures {
		if failure.GetProperty() == property && strings.Contains(failure.GetReason(), message) {
			return true
		}
	}
	return false
}
