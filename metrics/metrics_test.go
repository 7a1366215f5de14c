package metrics

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriterFormat(t *testing.T) {
	w := &Writer{}
	w.Family("x_total", "counter", "Help with a \\ backslash\nand a newline.")
	w.Sample("x_total", 3, "path", `a"b\c`+"\n", "code", "200")
	w.Sample("x_total", 0.25)
	w.Histogram("h_seconds", []float64{0.1, 1}, []uint64{1, 3, 4}, 2.5, "route", "GET /x")
	want := `# HELP x_total Help with a \\ backslash\nand a newline.
# TYPE x_total counter
x_total{path="a\"b\\c\n",code="200"} 3
x_total 0.25
h_seconds_bucket{route="GET /x",le="0.1"} 1
h_seconds_bucket{route="GET /x",le="1"} 3
h_seconds_bucket{route="GET /x",le="+Inf"} 4
h_seconds_sum{route="GET /x"} 2.5
h_seconds_count{route="GET /x"} 4
`
	if got := w.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCounterAndHistogram(t *testing.T) {
	c := NewCounter("req_total", "Requests.", "route", "code")
	c.Add(1, "b", "200")
	c.Add(2, "a", "500")
	c.Add(1, "b", "200")
	h := NewHistogram("lat_seconds", "Latency.", []float64{0.1, 1}, "route")
	for _, v := range []float64{0.05, 0.1, 0.5, 7} {
		h.Observe(v, "a")
	}
	w := &Writer{}
	c.Collect(context.Background(), w)
	h.Collect(context.Background(), w)
	for _, want := range []string{
		"req_total{route=\"a\",code=\"500\"} 2\nreq_total{route=\"b\",code=\"200\"} 2\n", // sorted by labels
		`lat_seconds_bucket{route="a",le="0.1"} 2`,                                       // 0.1 is at or below 0.1
		`lat_seconds_bucket{route="a",le="1"} 3`,
		`lat_seconds_bucket{route="a",le="+Inf"} 4`,
		`lat_seconds_sum{route="a"} 7.65`,
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("missing %q in\n%s", want, w)
		}
	}
}

// TestRegistry: a failing collector is left out and flagged; the others
// are still served, in the text format's media type.
func TestRegistry(t *testing.T) {
	r := NewRegistry()
	r.Register("good", CollectorFunc(func(_ context.Context, w *Writer) error {
		w.Family("good", "gauge", "Good.")
		w.Sample("good", 1)
		return nil
	}))
	r.Register("bad", CollectorFunc(func(_ context.Context, w *Writer) error {
		w.Family("half", "gauge", "Half written.")
		return errors.New("database down")
	}))
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ContentType {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"good 1\n", `tldguard_metrics_collector_errors{collector="bad"} 1`, `tldguard_metrics_collector_errors{collector="good"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	if strings.Contains(body, "half") {
		t.Error("a failed collector's families were served")
	}
	rec = httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/metrics", bytes.NewReader(nil)))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}
