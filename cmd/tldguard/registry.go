package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/epp"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/rdap"
	"github.com/tldguard/tldguard/webhook"
)

// The registry connection the config file chooses: the embedded registry
// (the default), EPP or the operator's webhook, with transfers optionally
// routed to the webhook and lookups optionally read over RDAP.
//
//	registry:
//	  adapter: epp                        # embedded (default), epp or webhook
//	  epp:
//	    addr: epp.registry.example:700
//	    client_id: tldguard
//	    password_env: TLDGUARD_EPP_PASSWORD # secrets come from the environment
//	    cert_file: client.pem             # relative to the config file
//	    key_file: client.key
//	  webhook:
//	    apply_url: https://registry.example/tldguard
//	    secret_env: TLDGUARD_WEBHOOK_SECRET
//	  transfer: webhook                   # transfers to the webhook, the rest over EPP
//	  rdap: {base_url: https://rdap.nic.example/}

// Adapter names in the config file.
const (
	adapterEmbedded = "embedded"
	adapterEPP      = "epp"
	adapterWebhook  = "webhook"
)

const adapterNames = "embedded, epp, webhook"

// registryConfig is the config file's registry section.
type registryConfig struct {
	Adapter  string // "" is embedded
	EPP      *eppConfig
	Webhook  *webhookConfig
	Transfer string // "" or the adapter that carries out transfers
	RDAP     *rdapConfig
}

type eppConfig struct {
	Addr, ServerName, ClientID string
	PasswordEnv                string
	CAFile, CertFile, KeyFile  string
	Timeout                    time.Duration
	Sessions                   int
}

type webhookConfig struct {
	ApplyURL, LookupURL string
	SecretEnv           string
	Timeout             time.Duration
}

type rdapConfig struct {
	BaseURL string
	Timeout time.Duration
}

// embedded reports whether the embedded registry acts and answers.
func (r *registryConfig) embedded() bool {
	return r.Adapter == "" || r.Adapter == adapterEmbedded
}

// registry reads the registry section; a bad one fails the whole file.
func (d *cfgDecoder) registry(n *yaml.Node, field string) registryConfig {
	var r registryConfig
	var adapterNode, transferNode, eppNode, webhookNode *yaml.Node
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"adapter": func(n *yaml.Node, f string) {
			adapterNode = n
			r.Adapter = d.str(n, f)
			switch r.Adapter {
			case adapterEmbedded, adapterEPP, adapterWebhook:
			default:
				d.fail(n, f, "unknown adapter %q (known: %s)", r.Adapter, adapterNames)
			}
		},
		"epp": func(n *yaml.Node, f string) {
			eppNode = n
			r.EPP = d.eppSection(n, f)
		},
		"webhook": func(n *yaml.Node, f string) {
			webhookNode = n
			r.Webhook = d.webhookSection(n, f)
		},
		"transfer": func(n *yaml.Node, f string) {
			transferNode = n
			r.Transfer = d.str(n, f)
			switch r.Transfer {
			case adapterEPP, adapterWebhook:
			default:
				d.fail(n, f, "unknown transfer adapter %q (known: epp, webhook)", r.Transfer)
			}
		},
		"rdap": func(n *yaml.Node, f string) {
			r.RDAP = &rdapConfig{}
			d.mapping(n, f, map[string]func(*yaml.Node, string){
				"base_url": func(n *yaml.Node, f string) { r.RDAP.BaseURL = d.httpURL(n, f) },
				"timeout":  func(n *yaml.Node, f string) { r.RDAP.Timeout = d.timeout(n, f) },
			})
			if r.RDAP.BaseURL == "" {
				d.fail(n, f+".base_url", "is required (e.g. https://rdap.nic.example/)")
			}
		},
	})
	if d.err != nil {
		return registryConfig{}
	}
	if r.Adapter == adapterEmbedded {
		r.Adapter = ""
	}
	used := func(name string) bool { return r.Adapter == name || r.Transfer == name }
	if adapterNode == nil {
		adapterNode = n
	}
	switch {
	case r.Adapter == adapterEPP && r.EPP == nil:
		d.fail(adapterNode, field+".epp", "adapter epp needs an epp section (addr, client_id, password_env)")
	case r.Adapter == adapterWebhook && r.Webhook == nil:
		d.fail(adapterNode, field+".webhook", "adapter webhook needs a webhook section (apply_url, secret_env)")
	case r.Transfer == adapterEPP && r.EPP == nil:
		d.fail(transferNode, field+".epp", "transfer: epp needs an epp section (addr, client_id, password_env)")
	case r.Transfer == adapterWebhook && r.Webhook == nil:
		d.fail(transferNode, field+".webhook", "transfer: webhook needs a webhook section (apply_url, secret_env)")
	case r.EPP != nil && !used(adapterEPP):
		d.fail(eppNode, field+".epp", "configured but not used: set adapter: epp or transfer: epp")
	case r.Webhook != nil && !used(adapterWebhook):
		d.fail(webhookNode, field+".webhook", "configured but not used: set adapter: webhook or transfer: webhook")
	}
	if d.err != nil {
		return registryConfig{}
	}
	return r
}

// refuseSecret is the handler for a key that would put a secret in the file.
func (d *cfgDecoder) refuseSecret(envKey string) func(*yaml.Node, string) {
	return func(n *yaml.Node, f string) {
		d.fail(n, f, "secrets are not read from the config file: put it in an environment variable and name that variable in %s", envKey)
	}
}

func (d *cfgDecoder) eppSection(n *yaml.Node, field string) *eppConfig {
	c := &eppConfig{}
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"addr":         func(n *yaml.Node, f string) { c.Addr = d.nonEmpty(n, f) },
		"server_name":  func(n *yaml.Node, f string) { c.ServerName = d.nonEmpty(n, f) },
		"client_id":    func(n *yaml.Node, f string) { c.ClientID = d.nonEmpty(n, f) },
		"password_env": func(n *yaml.Node, f string) { c.PasswordEnv = d.envName(n, f) },
		"password":     d.refuseSecret("password_env"),
		"ca_file":      func(n *yaml.Node, f string) { c.CAFile = d.path(n, f) },
		"cert_file":    func(n *yaml.Node, f string) { c.CertFile = d.path(n, f) },
		"key_file":     func(n *yaml.Node, f string) { c.KeyFile = d.path(n, f) },
		"timeout":      func(n *yaml.Node, f string) { c.Timeout = d.timeout(n, f) },
		"sessions": func(n *yaml.Node, f string) {
			v, err := strconv.Atoi(d.str(n, f))
			if (err != nil || v < 1 || v > 16) && d.err == nil {
				d.fail(n, f, "%q is not a number of sessions from 1 to 16", n.Value)
			}
			c.Sessions = v
		},
	})
	if d.err != nil {
		return c
	}
	switch {
	case c.Addr == "":
		d.fail(n, field+".addr", "is required (host:port of the registry's EPP server)")
	case c.ClientID == "":
		d.fail(n, field+".client_id", "is required")
	case c.PasswordEnv == "":
		d.fail(n, field+".password_env", "is required: the environment variable holding the EPP password")
	case (c.CertFile == "") != (c.KeyFile == ""):
		d.fail(n, field+".cert_file", "cert_file and key_file go together")
	}
	return c
}

func (d *cfgDecoder) webhookSection(n *yaml.Node, field string) *webhookConfig {
	c := &webhookConfig{}
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"apply_url":  func(n *yaml.Node, f string) { c.ApplyURL = d.httpURL(n, f) },
		"lookup_url": func(n *yaml.Node, f string) { c.LookupURL = d.httpURL(n, f) },
		"secret_env": func(n *yaml.Node, f string) { c.SecretEnv = d.envName(n, f) },
		"secret":     d.refuseSecret("secret_env"),
		"timeout":    func(n *yaml.Node, f string) { c.Timeout = d.timeout(n, f) },
	})
	if d.err != nil {
		return c
	}
	switch {
	case c.ApplyURL == "":
		d.fail(n, field+".apply_url", "is required (the http(s) URL the changes are POSTed to)")
	case c.SecretEnv == "":
		d.fail(n, field+".secret_env", "is required: the environment variable holding the signing secret")
	}
	return c
}

func (d *cfgDecoder) nonEmpty(n *yaml.Node, field string) string {
	s := d.str(n, field)
	if s == "" && d.err == nil {
		d.fail(n, field, "is empty")
	}
	return s
}

// envName is the name of an environment variable.
func (d *cfgDecoder) envName(n *yaml.Node, field string) string {
	s := d.str(n, field)
	ok := s != ""
	for i, c := range s {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			ok = false
		}
	}
	if !ok && d.err == nil {
		d.fail(n, field, "%q is not an environment variable name (e.g. TLDGUARD_SECRET)", s)
	}
	return s
}

func (d *cfgDecoder) httpURL(n *yaml.Node, field string) string {
	s := d.str(n, field)
	u, err := url.Parse(s)
	if (err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "") && d.err == nil {
		d.fail(n, field, "%q is not an http(s) URL", s)
	}
	return s
}

func (d *cfgDecoder) timeout(n *yaml.Node, field string) time.Duration {
	v := d.duration(n, field)
	if (v < 100*time.Millisecond || v > 10*time.Minute) && d.err == nil {
		d.fail(n, field, "must be from 100ms to 10m")
	}
	return v
}

// registryRouter is the RegistryAdapter the service gets when the config
// file names an outside registry: changes go to the adapter, transfers to
// the transfer adapter when one is set, and lookups to the lookup
// registry (RDAP) when one is set.
type registryRouter struct {
	adapter  tldguard.RegistryAdapter
	transfer tldguard.RegistryAdapter // nil: adapter
	lookup   tldguard.Registry        // nil: adapter
}

func (r *registryRouter) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	if r.lookup != nil {
		return r.lookup.Lookup(ctx, name)
	}
	return r.adapter.Lookup(ctx, name)
}

func (r *registryRouter) Apply(ctx context.Context, c tldguard.Change) (*tldguard.ChangeResult, error) {
	if c.Kind == tldguard.ActionTransfer && r.transfer != nil {
		return r.transfer.Apply(ctx, c)
	}
	return r.adapter.Apply(ctx, c)
}

// registryConn is the registry connection Main.Run builds.
type registryConn struct {
	router *registryRouter
	epp    *epp.Client // closed by Main.Close
}

// secretFromEnv reads the secret the config file names.
func secretFromEnv(path, field, name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", tldguard.Errorf(tldguard.EINVALID, "%s: %s: environment variable %s is not set", path, field, name)
	}
	return v, nil
}

// newRegistryConn builds the registry connection c describes; local is
// the adapter when c names the embedded one.
func newRegistryConn(c *registryConfig, path string, local tldguard.RegistryAdapter, log *slog.Logger) (*registryConn, error) {
	conn := &registryConn{router: &registryRouter{adapter: local}}
	var wh tldguard.RegistryAdapter
	if c.Webhook != nil {
		secret, err := secretFromEnv(path, "registry.webhook.secret_env", c.Webhook.SecretEnv)
		if err != nil {
			return nil, err
		}
		if len(secret) < webhook.MinSecretBytes {
			return nil, tldguard.Errorf(tldguard.EINVALID, "%s: registry.webhook.secret_env: the secret in %s has %d bytes; it needs at least %d (e.g. openssl rand -hex 32)",
				path, c.Webhook.SecretEnv, len(secret), webhook.MinSecretBytes)
		}
		a, err := webhook.New(webhook.Config{ApplyURL: c.Webhook.ApplyURL, LookupURL: c.Webhook.LookupURL, Secret: []byte(secret), Timeout: c.Webhook.Timeout})
		if err != nil {
			return nil, tldguard.Errorf(tldguard.EINVALID, "%s: registry.webhook: %s", path, tldguard.ErrorMessage(err))
		}
		wh = a
	}
	var ep tldguard.RegistryAdapter
	if c.EPP != nil {
		cl, err := newEPPClient(c.EPP, path, log)
		if err != nil {
			return nil, err
		}
		conn.epp, ep = cl, cl
	}
	fail := func(err error) (*registryConn, error) {
		conn.close()
		return nil, err
	}
	switch c.Adapter {
	case adapterEPP:
		conn.router.adapter = ep
	case adapterWebhook:
		conn.router.adapter = wh
	}
	switch c.Transfer {
	case adapterEPP:
		conn.router.transfer = ep
	case adapterWebhook:
		conn.router.transfer = wh
	}
	if c.RDAP != nil {
		rc, err := rdap.New(rdap.Config{BaseURL: c.RDAP.BaseURL, Timeout: c.RDAP.Timeout})
		if err != nil {
			return fail(tldguard.Errorf(tldguard.EINVALID, "%s: registry.rdap: %s", path, tldguard.ErrorMessage(err)))
		}
		conn.router.lookup = rc
	}
	return conn, nil
}

func newEPPClient(c *eppConfig, path string, log *slog.Logger) (*epp.Client, error) {
	bad := func(field string, err error) (*epp.Client, error) {
		return nil, tldguard.Errorf(tldguard.EINVALID, "%s: registry.epp.%s: %v", path, field, err)
	}
	password, err := secretFromEnv(path, "registry.epp.password_env", c.PasswordEnv)
	if err != nil {
		return nil, err
	}
	cfg := epp.Config{Addr: c.Addr, ServerName: c.ServerName, ClientID: c.ClientID, Password: password,
		Timeout: c.Timeout, Sessions: c.Sessions, Logger: log}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return bad("ca_file", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return bad("ca_file", tldguard.Errorf(tldguard.EINVALID, "%s holds no PEM certificate", c.CAFile))
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return bad("cert_file", err)
		}
		cfg.Certificate = &cert
	}
	cl, err := epp.New(cfg)
	if err != nil {
		return nil, tldguard.Errorf(tldguard.EINVALID, "%s: registry.epp: %s", path, tldguard.ErrorMessage(err))
	}
	return cl, nil
}

func (c *registryConn) close() error {
	if c == nil || c.epp == nil {
		return nil
	}
	err := c.epp.Close()
	c.epp = nil
	return err
}

// openRegistry returns the registry the config file chooses: local (the
// embedded registry) when the file names no other, else a router over the
// adapters it names. An EPP connection is checked now; a registry that is
// down only logs a warning, since the job runner retries actions until it
// is back.
func (m *Main) openRegistry(ctx context.Context, local tldguard.RegistryAdapter) (tldguard.RegistryAdapter, error) {
	c := m.Config.Checks
	if c == nil || c.Registry.embedded() && c.Registry.Transfer == "" && c.Registry.RDAP == nil {
		return local, nil
	}
	conn, err := newRegistryConn(&c.Registry, c.Path, local, m.Config.Logger)
	if err != nil {
		return nil, err
	}
	m.registry = conn
	if conn.epp != nil {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := conn.epp.Ping(pctx); err != nil {
			m.Config.Logger.Warn("the EPP registry does not answer; actions wait and are retried until it does",
				"addr", c.Registry.EPP.Addr, "err", err)
		} else {
			m.Config.Logger.Info("EPP registry connected", "addr", c.Registry.EPP.Addr)
		}
	}
	adapter := c.Registry.Adapter
	if adapter == "" {
		adapter = adapterEmbedded
	}
	m.Config.Logger.Info("registry", "adapter", adapter, "transfer", c.Registry.Transfer, "rdap", c.Registry.RDAP != nil)
	return conn.router, nil
}

// closeRegistry closes the EPP client, if any.
func (m *Main) closeRegistry() error {
	err := m.registry.close()
	m.registry = nil
	return err
}

var _ tldguard.RegistryAdapter = (*registryRouter)(nil)
var _ tldguard.RegistryAdapter = (*localregistry.Registry)(nil)

// abuseContacts is the registry's RDAP, when configured, for referrals to
// registrars the registrar table has no abuse address for.
func (m *Main) abuseContacts() tldguard.AbuseContacts {
	if m.registry == nil || m.registry.router == nil {
		return nil
	}
	if ac, ok := m.registry.router.lookup.(tldguard.AbuseContacts); ok {
		return ac
	}
	return nil
}
