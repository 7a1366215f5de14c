package epp

// An EPP server for the tests: RFC 5734 framing over TLS with a generated
// certificate, a greeting, a login that checks the credentials, and
// <domain:info>, <domain:update> and <domain:delete> against an in-memory
// table. It checks every command it receives the way a strict registry
// would (namespaces, the schema's element order, required elements, a
// unique clTRID) and records what it found wrong; a test fails on any
// such finding unless it asked for the violation.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID = "tldguard-reg"
	testPassword = "s3cret-pw"
	testExtURI   = "urn:ietf:params:xml:ns:secDNS-1.1"
	// testTransferNS is the registry-specific extension the transfer hook
	// in the tests speaks.
	testTransferNS = "urn:example:params:xml:ns:regtransfer-1.0"
)

// fault is what the server does with one command instead of answering.
type fault int

const (
	faultNone      fault = iota
	faultDrop            // close the connection without answering
	faultDropAfter       // carry the command out, then close without answering
	faultStall           // never answer
	faultOversize        // answer with a header announcing a huge frame
	faultBusy            // answer 2400
	faultThenHold        // answer, then put serverHold on every domain, as another client would
)

type testDomain struct {
	Name     string
	ROID     string
	ClID     string
	Statuses []string
	NS       []string
	Created  time.Time
}

type eppServer struct {
	t        testing.TB
	ln       net.Listener
	Addr     string
	CAs      *x509.CertPool
	maxFrame int

	mu         sync.Mutex
	password   string
	hostAttr   bool // the registry has no host objects
	domains    map[string]*testDomain
	hosts      map[string]bool // host objects
	commands   map[string]int  // by command: login, hello, info, update, delete, logout, transfer
	clTRIDs    map[string]bool
	lastUpdate string // the last <domain:update> document received
	conns      int
	faults     map[string][]fault // per command, consumed in order
	violations []string
	svTRID     int
	open       map[net.Conn]bool
	stalled    chan struct{}
}

// newEPPServer starts a server with a fresh certificate authority and a
// few names: held.example and locked.example already carry the statuses
// their names say.
func newEPPServer(t testing.TB) *eppServer {
	t.Helper()
	cert, pool := testCertificate(t, "epp.test")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	s := &eppServer{
		t: t, ln: ln, Addr: ln.Addr().String(), CAs: pool, maxFrame: 64 << 10,
		password: testPassword,
		domains:  map[string]*testDomain{},
		hosts:    map[string]bool{"ns1.sinkhole.example": true, "ns2.sinkhole.example": true, "ns1.host.example": true, "ns2.host.example": true},
		commands: map[string]int{}, clTRIDs: map[string]bool{}, faults: map[string][]fault{},
		open: map[net.Conn]bool{}, stalled: make(chan struct{}),
	}
	created := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	s.domains["phish.example"] = &testDomain{Name: "phish.example", ROID: "D1-EX", ClID: "registrar-a", Statuses: []string{"ok"}, NS: []string{"ns1.host.example", "ns2.host.example"}, Created: created}
	s.domains["held.example"] = &testDomain{Name: "held.example", ROID: "D2-EX", ClID: "registrar-a", Statuses: []string{"serverHold"}, NS: []string{"ns1.host.example"}, Created: created}
	s.domains["locked.example"] = &testDomain{Name: "locked.example", ROID: "D3-EX", ClID: "registrar-b", Statuses: []string{"serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"}, NS: []string{"ns1.host.example"}, Created: created}
	s.domains["client-locked.example"] = &testDomain{Name: "client-locked.example", ROID: "D4-EX", ClID: "registrar-b", Statuses: []string{"clientUpdateProhibited"}, NS: []string{"ns1.host.example"}, Created: created}
	go s.serve()
	t.Cleanup(func() {
		s.close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, v := range s.violations {
			t.Errorf("EPP server: %s", v)
		}
	})
	return s
}

// testCertificate makes a self-signed certificate for host and the pool
// that trusts it.
func testCertificate(t testing.TB, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func (s *eppServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stalled:
	default:
		close(s.stalled)
	}
	for c := range s.open {
		_ = c.Close()
	}
}

// config is a client Config for this server.
func (s *eppServer) config() Config {
	return Config{Addr: s.Addr, ServerName: "epp.test", RootCAs: s.CAs, ClientID: testClientID, Password: testPassword,
		Timeout: 5 * time.Second, KeepAlive: -1}
}

// inject makes the server answer the next cmd commands with faults.
func (s *eppServer) inject(cmd string, f ...fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[cmd] = append(s.faults[cmd], f...)
}

func (s *eppServer) count(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[cmd]
}

func (s *eppServer) domain(name string) *testDomain {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[name]
	if d == nil {
		return nil
	}
	c := *d
	c.Statuses = slices.Clone(d.Statuses)
	c.NS = slices.Clone(d.NS)
	return &c
}

func (s *eppServer) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

func (s *eppServer) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.open[conn] = true
		s.mu.Unlock()
		go s.handle(conn)
	}
}

// The server's own framing, written apart from the client's.
func (s *eppServer) readFrame(r io.Reader) ([]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, err
	}
	if n < 4 || int(n) > s.maxFrame {
		return nil, fmt.Errorf("frame of %d bytes refused (limit %d)", n, s.maxFrame)
	}
	b := make([]byte, n-4)
	_, err := io.ReadFull(r, b)
	return b, err
}

func writeTestFrame(w io.Writer, doc string) error {
	b := make([]byte, 4+len(doc))
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	copy(b[4:], doc)
	_, err := w.Write(b)
	return err
}

func (s *eppServer) handle(conn net.Conn) {
	defer func() {
		_ = conn.Close()
		s.mu.Lock()
		delete(s.open, conn)
		s.mu.Unlock()
	}()
	if err := writeTestFrame(conn, greetingDoc()); err != nil {
		return
	}
	loggedIn := false
	for {
		data, err := s.readFrame(conn)
		if err != nil {
			return
		}
		root, err := parseTree(data)
		if err != nil {
			s.mu.Lock()
			s.violate("unparsable command: %v\n%s", err, data)
			s.mu.Unlock()
			return
		}
		reply, closeAfter, f := s.dispatch(root, string(data), &loggedIn)
		switch f {
		case faultDrop:
			return
		case faultStall:
			<-s.stalled
			return
		case faultOversize:
			_ = binary.Write(conn, binary.BigEndian, uint32(1<<30))
			return
		case faultDropAfter:
			return
		}
		if err := writeTestFrame(conn, reply); err != nil {
			return
		}
		if closeAfter {
			return
		}
	}
}

var testStatuses = []string{"ok", "serverHold", "serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited",
	"serverRenewProhibited", "clientHold", "clientUpdateProhibited", "clientDeleteProhibited", "clientTransferProhibited",
	"clientRenewProhibited", "pendingDelete", "inactive"}

// dispatch checks one command and carries it out. It returns the reply,
// whether to close after it, and a fault to act instead.
func (s *eppServer) dispatch(root *node, raw string, loggedIn *bool) (string, bool, fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !root.is(nsEPP, "epp") {
		s.violate("root is <%s> in %q, not <epp> in %s", root.Name.Local, root.Name.Space, nsEPP)
		return resultDoc(2001, "Command syntax error", "", s.nextSvTRID()), true, faultNone
	}
	if len(root.Children) != 1 {
		s.violate("<epp> has %d children", len(root.Children))
		return resultDoc(2001, "Command syntax error", "", s.nextSvTRID()), true, faultNone
	}
	top := root.Children[0]
	if top.is(nsEPP, "hello") {
		s.commands["hello"]++
		if len(top.Children) > 0 {
			s.violate("<hello> has children")
		}
		return greetingDoc(), false, s.takeFault("hello")
	}
	if !top.is(nsEPP, "command") {
		s.violate("<epp> holds <%s> in %q", top.Name.Local, top.Name.Space)
		return resultDoc(2001, "Command syntax error", "", s.nextSvTRID()), false, faultNone
	}
	if len(top.Children) == 0 {
		s.violate("empty <command>")
		return resultDoc(2001, "Command syntax error", "", s.nextSvTRID()), false, faultNone
	}
	verb := top.Children[0]
	parts, err := seq(top, nsEPP, verb.Name.Local, "extension?", "clTRID")
	clTRID := ""
	if err == nil {
		clTRID, err = leaf(parts["clTRID"][0])
	}
	if err != nil {
		s.violate("command %s: %v", verb.Name.Local, err)
		return resultDoc(2003, "Required parameter missing", clTRID, s.nextSvTRID()), false, faultNone
	}
	if len(clTRID) < 3 || len(clTRID) > 64 || strings.ContainsAny(clTRID, " \t\r\n") {
		s.violate("clTRID %q is not a 3-64 character token", clTRID)
	}
	if s.clTRIDs[clTRID] {
		s.violate("clTRID %q used twice", clTRID)
	}
	s.clTRIDs[clTRID] = true
	name := verb.Name.Local
	if !verb.is(nsEPP, name) {
		s.violate("<%s> is in namespace %q", name, verb.Name.Space)
	}
	var ext *node
	if e := parts["extension"]; len(e) > 0 {
		ext = e[0]
	}
	sv := s.nextSvTRID()
	switch {
	case name == "login":
		s.commands["login"]++
		if f := s.takeFault("login"); f != faultNone {
			return "", false, f
		}
		if *loggedIn {
			return resultDoc(2002, "Command use error", clTRID, sv), false, faultNone
		}
		code, msg := s.login(verb)
		if code == 1000 {
			*loggedIn = true
		}
		return resultDoc(code, msg, clTRID, sv), code != 1000, faultNone
	case !*loggedIn:
		s.violate("%s before login", name)
		return resultDoc(2002, "Command use error", clTRID, sv), false, faultNone
	case name == "logout":
		s.commands["logout"]++
		if len(verb.Children) > 0 {
			s.violate("<logout> has children")
		}
		return resultDoc(1500, "Command completed successfully; ending session", clTRID, sv), true, faultNone
	case name == "info" || name == "update" || name == "delete":
		if len(verb.Children) != 1 || !verb.Children[0].is(nsDomain, name) {
			s.violate("<%s> does not hold exactly one <domain:%s> in %s", name, name, nsDomain)
			return resultDoc(2001, "Command syntax error", clTRID, sv), false, faultNone
		}
		cmd := name
		if name == "update" && ext != nil {
			cmd = "transfer"
		}
		s.commands[cmd]++
		f := s.takeFault(cmd)
		switch f {
		case faultNone, faultDropAfter, faultThenHold:
		case faultBusy:
			return resultDoc(2400, "Command failed", clTRID, sv), false, faultNone
		default:
			return "", false, f
		}
		var reply string
		obj := verb.Children[0]
		switch cmd {
		case "info":
			reply = s.info(obj, clTRID, sv)
		case "update":
			s.lastUpdate = raw
			reply = s.update(obj, clTRID, sv)
		case "transfer":
			reply = s.transfer(obj, ext, clTRID, sv)
		case "delete":
			reply = s.delete(obj, clTRID, sv)
		}
		if f == faultThenHold {
			for _, d := range s.domains {
				if !slices.Contains(d.Statuses, "serverHold") {
					d.Statuses = append(d.Statuses, "serverHold")
				}
			}
			f = faultNone
		}
		return reply, false, f
	}
	s.violate("unexpected command <%s>", name)
	return resultDoc(2000, "Unknown command", clTRID, sv), false, faultNone
}

func (s *eppServer) takeFault(cmd string) fault {
	q := s.faults[cmd]
	if len(q) == 0 {
		return faultNone
	}
	s.faults[cmd] = q[1:]
	return q[0]
}

func (s *eppServer) nextSvTRID() string {
	s.svTRID++
	return fmt.Sprintf("SRV-%d", s.svTRID)
}

func (s *eppServer) login(n *node) (int, string) {
	p, err := seq(n, nsEPP, "clID", "pw", "newPW?", "options", "svcs")
	if err != nil {
		s.violate("login: %v", err)
		return 2001, "Command syntax error"
	}
	opts, err := seq(p["options"][0], nsEPP, "version", "lang")
	if err != nil {
		s.violate("login options: %v", err)
		return 2001, "Command syntax error"
	}
	if v, _ := leaf(opts["version"][0]); v != "1.0" {
		s.violate("login version %q", v)
		return 2100, "Unimplemented protocol version"
	}
	if l, _ := leaf(opts["lang"][0]); l != "en" {
		s.violate("login lang %q", l)
	}
	svcs, err := seq(p["svcs"][0], nsEPP, "objURI+", "svcExtension?")
	if err != nil {
		s.violate("login svcs: %v", err)
		return 2001, "Command syntax error"
	}
	var objs []string
	for _, o := range svcs["objURI"] {
		u, _ := leaf(o)
		objs = append(objs, u)
	}
	if !slices.Contains(objs, nsDomain) {
		s.violate("login without the domain objURI: %v", objs)
	}
	if e := svcs["svcExtension"]; len(e) > 0 {
		exts, err := seq(e[0], nsEPP, "extURI+")
		if err != nil {
			s.violate("login svcExtension: %v", err)
		}
		for _, x := range exts["extURI"] {
			if u, _ := leaf(x); u != testExtURI {
				s.violate("login asks for extension %q the greeting did not offer", u)
			}
		}
	}
	clID, _ := leaf(p["clID"][0])
	pw, _ := leaf(p["pw"][0])
	if clID != testClientID || pw != s.password {
		return 2200, "Authentication error"
	}
	if np := p["newPW"]; len(np) > 0 {
		s.password, _ = leaf(np[0])
	}
	return 1000, "Command completed successfully"
}

// domainName checks <domain:name> as the first child and returns the
// domain it names, or a reply for a bad command.
func (s *eppServer) domainName(p map[string][]*node, cmd string) string {
	name, err := leaf(p["name"][0])
	if err != nil || name == "" || name != strings.TrimSpace(name) {
		s.violate("%s: bad domain:name %q", cmd, name)
	}
	return name
}

func (s *eppServer) info(n *node, clTRID, sv string) string {
	p, err := seq(n, nsDomain, "name", "authInfo?")
	if err != nil {
		s.violate("domain:info: %v", err)
		return resultDoc(2001, "Command syntax error", clTRID, sv)
	}
	d := s.domains[s.domainName(p, "domain:info")]
	if d == nil {
		return resultDoc(2303, "Object does not exist", clTRID, sv)
	}
	return infoDoc(d, s.hostAttr, clTRID, sv)
}

type addRem struct {
	ns       []string
	statuses []string
}

func (s *eppServer) parseAddRem(n *node) (addRem, error) {
	var ar addRem
	p, err := seq(n, nsDomain, "ns?", "contact*", "status*")
	if err != nil {
		return ar, err
	}
	if len(n.Children) == 0 {
		return ar, fmt.Errorf("empty <domain:%s>", n.Name.Local)
	}
	if ns := p["ns"]; len(ns) > 0 {
		elem := "hostObj+"
		if len(ns[0].Children) > 0 && ns[0].Children[0].Name.Local == "hostAttr" {
			if !s.hostAttr {
				return ar, fmt.Errorf("hostAttr sent to a registry with host objects")
			}
			elem = "hostAttr+"
		} else if s.hostAttr {
			return ar, fmt.Errorf("hostObj sent to a registry without host objects")
		}
		hp, err := seq(ns[0], nsDomain, elem)
		if err != nil {
			return ar, err
		}
		for _, h := range hp[strings.TrimSuffix(elem, "+")] {
			if s.hostAttr {
				hn, err := seq(h, nsDomain, "hostName", "hostAddr*")
				if err != nil {
					return ar, err
				}
				h = hn["hostName"][0]
			}
			v, err := leaf(h)
			if err != nil {
				return ar, err
			}
			ar.ns = append(ar.ns, v)
		}
	}
	for _, st := range p["status"] {
		v, ok := st.attr("s")
		if !ok || !slices.Contains(testStatuses, v) {
			return ar, fmt.Errorf("status without a valid s attribute: %q", v)
		}
		if len(st.Children) > 0 {
			return ar, fmt.Errorf("status has children")
		}
		ar.statuses = append(ar.statuses, v)
	}
	return ar, nil
}

func (s *eppServer) update(n *node, clTRID, sv string) string {
	p, err := seq(n, nsDomain, "name", "add?", "rem?", "chg?")
	if err == nil && len(p["add"])+len(p["rem"])+len(p["chg"]) == 0 {
		err = fmt.Errorf("no add, rem or chg")
	}
	var add, rem addRem
	if err == nil && len(p["add"]) > 0 {
		add, err = s.parseAddRem(p["add"][0])
	}
	if err == nil && len(p["rem"]) > 0 {
		rem, err = s.parseAddRem(p["rem"][0])
	}
	if err != nil {
		s.violate("domain:update: %v", err)
		return resultDoc(2001, "Command syntax error", clTRID, sv)
	}
	d := s.domains[s.domainName(p, "domain:update")]
	if d == nil {
		return resultDoc(2303, "Object does not exist", clTRID, sv)
	}
	// RFC 5731 §2.3: an update other than the removal of an
	// update-prohibited status is rejected.
	onlyLift := len(add.ns)+len(add.statuses)+len(rem.ns) == 0 && len(p["chg"]) == 0 &&
		len(rem.statuses) > 0 && !slices.ContainsFunc(rem.statuses, func(x string) bool { return !strings.HasSuffix(x, "UpdateProhibited") })
	if !onlyLift && (slices.Contains(d.Statuses, "serverUpdateProhibited") || slices.Contains(d.Statuses, "clientUpdateProhibited")) {
		return resultDocReason(2304, "Object status prohibits operation", "update prohibited by the domain's status", clTRID, sv)
	}
	// A strict registry: adding what is there, or removing what is not,
	// is a policy error. The client must send differences only.
	for _, x := range add.statuses {
		if slices.Contains(d.Statuses, x) {
			return resultDocReason(2306, "Parameter value policy error", "status "+x+" already set", clTRID, sv)
		}
	}
	for _, x := range rem.statuses {
		if !slices.Contains(d.Statuses, x) {
			return resultDocReason(2306, "Parameter value policy error", "status "+x+" not set", clTRID, sv)
		}
	}
	for _, h := range rem.ns {
		if !slices.Contains(d.NS, h) {
			return resultDocReason(2306, "Parameter value policy error", "name server "+h+" not set", clTRID, sv)
		}
	}
	for _, h := range add.ns {
		if !s.hostAttr && !s.hosts[h] {
			return resultDocReason(2303, "Object does not exist", "host "+h, clTRID, sv)
		}
		if slices.Contains(d.NS, h) {
			return resultDocReason(2306, "Parameter value policy error", "name server "+h+" already set", clTRID, sv)
		}
	}
	st := slices.DeleteFunc(slices.Clone(d.Statuses), func(x string) bool { return x == "ok" || slices.Contains(rem.statuses, x) })
	st = append(st, add.statuses...)
	if len(st) == 0 {
		st = []string{"ok"}
	}
	d.Statuses = st
	d.NS = append(slices.DeleteFunc(d.NS, func(x string) bool { return slices.Contains(rem.ns, x) }), add.ns...)
	return resultDoc(1000, "Command completed successfully", clTRID, sv)
}

func (s *eppServer) delete(n *node, clTRID, sv string) string {
	p, err := seq(n, nsDomain, "name")
	if err != nil {
		s.violate("domain:delete: %v", err)
		return resultDoc(2001, "Command syntax error", clTRID, sv)
	}
	name := s.domainName(p, "domain:delete")
	d := s.domains[name]
	if d == nil {
		return resultDoc(2303, "Object does not exist", clTRID, sv)
	}
	if slices.Contains(d.Statuses, "serverDeleteProhibited") || slices.Contains(d.Statuses, "clientDeleteProhibited") {
		return resultDoc(2304, "Object status prohibits operation", clTRID, sv)
	}
	delete(s.domains, name)
	return resultDoc(1000, "Command completed successfully", clTRID, sv)
}

// transfer is the registry's own extension the test hook speaks: a
// <domain:update> with only a name, extended by <rt:transfer>.
func (s *eppServer) transfer(n *node, ext *node, clTRID, sv string) string {
	p, err := seq(n, nsDomain, "name")
	var x, g map[string][]*node
	if err == nil {
		x, err = seq(ext, testTransferNS, "transfer")
	}
	if err == nil {
		g, err = seq(x["transfer"][0], testTransferNS, "gaining")
	}
	if err != nil {
		s.violate("transfer extension: %v", err)
		return resultDoc(2001, "Command syntax error", clTRID, sv)
	}
	gaining, _ := leaf(g["gaining"][0])
	d := s.domains[s.domainName(p, "transfer")]
	if d == nil {
		return resultDoc(2303, "Object does not exist", clTRID, sv)
	}
	d.ClID = gaining
	return resultDoc(1000, "Command completed successfully", clTRID, sv)
}
