package http

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// openAPIOps reads the served document's operations as "METHOD path" ->
// x-tldguard-access.
func openAPIOps(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	w := f.do("GET", "/api/v1/openapi.json", "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET openapi.json: %d", w.Code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	ops := map[string]any{}
	for path, item := range doc.Paths {
		for method, op := range item {
			switch method {
			case "parameters", "summary", "description", "servers":
				continue // path-item members, not operations
			}
			var o struct {
				Access any `json:"x-tldguard-access"`
			}
			if err := json.Unmarshal(op, &o); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			ops[strings.ToUpper(method)+" "+path] = o.Access
		}
	}
	return ops
}

// TestOpenAPIMatchesRouteTable checks that the document describes every API
// route of the table, nothing else, and with the same access rule.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	f := newFixture(t)
	ops := openAPIOps(t, f)
	inTable := map[string]bool{}
	for _, rt := range f.srv.routes() {
		if rt.kind != kindAPI {
			continue
		}
		key := rt.method + " " + rt.pattern
		inTable[key] = true
		access, ok := ops[key]
		if !ok {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		if got := docAccess(access); got != accessKey(rt.access) {
			t.Errorf("%s: openapi.json says access %s, the table %s", key, got, accessKey(rt.access))
		}
	}
	for key := range ops {
		if !inTable[key] {
			t.Errorf("openapi.json describes %s, which the route table does not have", key)
		}
	}
}

// accessKey writes a rule canonically: "public" or sorted roles.
func accessKey(a access) string {
	if a.public {
		return "public"
	}
	var rs []string
	for _, r := range a.roles {
		rs = append(rs, string(r))
	}
	slices.Sort(rs)
	return strings.Join(rs, ",")
}

// docAccess reads an x-tldguard-access value the same way.
func docAccess(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var rs []tldguard.Role
		for _, r := range v {
			s, _ := r.(string)
			rs = append(rs, tldguard.Role(s))
		}
		return accessKey(access{roles: rs})
	}
	return "<missing>"
}

func TestOpenAPIIsPublicJSON(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/api/v1/openapi.json", "")
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Error("body is not valid JSON")
	}
}
