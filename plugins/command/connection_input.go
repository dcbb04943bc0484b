package command

import (
	"errors"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

// sshConnection is the `connection` input of remote resources (and of its
// `proxy`), with the SDK's defaults applied.
type sshConnection struct {
	host               string
	port               int
	user               string
	password           string
	privateKey         string
	privateKeyPassword string
	agentSocketPath    string
	hostKey            string // authorized_keys format; empty: not verified
	dialErrorLimit     int    // failed dials tolerated before giving up; -1: no limit
	perDialTimeout     time.Duration
	proxy              *sshConnection
}

// Defaults of the official schema (the npm SDK sends them too).
const (
	defaultUser           = "root"
	defaultPort           = 22
	defaultDialErrorLimit = 10
	defaultPerDialSeconds = 15
)

var connectionDefaults = resource.PropertyMap{
	"user":           resource.NewStringProperty(defaultUser),
	"port":           resource.NewNumberProperty(defaultPort),
	"dialErrorLimit": resource.NewNumberProperty(defaultDialErrorLimit),
	"perDialTimeout": resource.NewNumberProperty(defaultPerDialSeconds),
}

func connectionSpec(withProxy bool) propertySpec {
	spec := propertySpec{supported: map[string]valueKind{
		"host":               stringValue,
		"port":               numberValue,
		"user":               stringValue,
		"password":           stringValue,
		"privateKey":         stringValue,
		"privateKeyPassword": stringValue,
		"agentSocketPath":    stringValue,
		"hostKey":            stringValue,
		"dialErrorLimit":     numberValue,
		"perDialTimeout":     numberValue,
	}}
	if withProxy {
		spec.supported["proxy"] = objectValue
	}
	return spec
}

// checkConnection validates a connection object (path is "connection." or
// "connection.proxy.").
func checkConnection(validator *inputValidator, owner, path string, value resource.PropertyValue, withProxy bool) {
	value = revealed(value)
	if value.IsComputed() || !value.IsObject() {
		return // unknown now, or already reported as "must be an object"
	}
	properties := value.ObjectValue()
	validator.checkProperties(owner, path, properties, connectionSpec(withProxy))
	validator.requireProperty(owner, path+"host", properties, "host")
	if hostKey, ok := stringInput(properties, "hostKey"); ok {
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey)); err != nil {
			validator.fail("property %q must be a public key in authorized_keys format (\"ssh-ed25519 AAAA...\"): %v", path+"hostKey", err)
		}
	}
	if withProxy && isSet(properties, "proxy") {
		checkConnection(validator, owner, path+"proxy.", properties["proxy"], false)
	}
}

// withConnectionDefaults fills in the schema defaults, keeping secret
// markers where they were.
func withConnectionDefaults(value resource.PropertyValue) resource.PropertyValue {
	switch {
	case value.IsSecret():
		return resource.MakeSecret(withConnectionDefaults(value.SecretValue().Element))
	case !value.IsObject():
		return value
	}
	properties := value.ObjectValue().Copy()
	for key, fallback := range connectionDefaults {
		if !isSet(properties, string(key)) {
			properties[key] = fallback
		}
	}
	if isSet(properties, "proxy") {
		properties["proxy"] = withConnectionDefaults(properties["proxy"])
	}
	return resource.NewObjectProperty(properties)
}

// parseConnection reads a checked connection input.
func parseConnection(value resource.PropertyValue) (sshConnection, error) {
	value = revealed(value)
	if !value.IsObject() {
		return sshConnection{}, errors.New("property \"connection\" is missing or unknown")
	}
	properties := value.ObjectValue()
	connection := sshConnection{
		port:           int(numberInput(properties, "port", defaultPort)),
		dialErrorLimit: int(numberInput(properties, "dialErrorLimit", defaultDialErrorLimit)),
		perDialTimeout: time.Duration(numberInput(properties, "perDialTimeout", defaultPerDialSeconds) * float64(time.Second)),
	}
	connection.host, _ = stringInput(properties, "host")
	connection.user, _ = stringInput(properties, "user")
	if connection.user == "" {
		connection.user = defaultUser
	}
	connection.password, _ = stringInput(properties, "password")
	connection.privateKey, _ = stringInput(properties, "privateKey")
	connection.privateKeyPassword, _ = stringInput(properties, "privateKeyPassword")
	connection.agentSocketPath, _ = stringInput(properties, "agentSocketPath")
	connection.hostKey, _ = stringInput(properties, "hostKey")
	if connection.host == "" {
		return sshConnection{}, errors.New("property \"connection.host\" is empty")
	}
	if isSet(properties, "proxy") {
		proxy, err := parseConnection(properties["proxy"])
		if err != nil {
			return sshConnection{}, fmt.Errorf("proxy: %w", err)
		}
		connection.proxy = &proxy
	}
	return connection, nil
}
