// Package metrics writes operational metrics in the Prometheus text
// exposition format (version 0.0.4), by hand: a Registry of collectors,
// each writing whole metric families, and the in-process counters and
// histograms the HTTP server keeps. There is no global registry: the
// binary makes one and hands it to whoever records or collects.
package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Collector writes one or more whole metric families. A collector that
// cannot read what it reports (the database is down) returns the error;
// the families it wrote before failing are dropped.
type Collector interface {
	Collect(ctx context.Context, w *Writer) error
}

// CollectorFunc adapts a function to Collector.
type CollectorFunc func(ctx context.Context, w *Writer) error

// Collect calls f.
func (f CollectorFunc) Collect(ctx context.Context, w *Writer) error { return f(ctx, w) }

// Registry is the set of collectors one /metrics endpoint exposes.
type Registry struct {
	mu         sync.Mutex
	collectors []namedCollector
}

type namedCollector struct {
	name string
	c    Collector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Register adds c under name (used in the error metric when it fails).
func (r *Registry) Register(name string, c Collector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, namedCollector{name, c})
}

// WriteTo writes every collector's families to out. A collector that fails
// is left out and counted in tldguard_metrics_collector_errors{collector};
// the others are still written, so one broken source never blanks the page.
func (r *Registry) WriteTo(ctx context.Context, out io.Writer) error {
	r.mu.Lock()
	cs := slices.Clone(r.collectors)
	r.mu.Unlock()
	var page bytes.Buffer
	var failed []string
	for _, nc := range cs {
		w := &Writer{}
		if err := nc.c.Collect(ctx, w); err != nil {
			failed = append(failed, nc.name)
			continue
		}
		page.Write(w.buf.Bytes())
	}
	w := &Writer{}
	w.Family("tldguard_metrics_collector_errors", "gauge", "Whether a collector failed on this scrape (its families are missing).")
	for _, nc := range cs {
		v := 0.0
		if slices.Contains(failed, nc.name) {
			v = 1
		}
		w.Sample("tldguard_metrics_collector_errors", v, "collector", nc.name)
	}
	page.Write(w.buf.Bytes())
	_, err := out.Write(page.Bytes())
	return err
}

// Handler serves the registry in the text format.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var buf bytes.Buffer
		r.WriteTo(req.Context(), &buf)
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		if req.Method == http.MethodGet {
			w.Write(buf.Bytes())
		}
	})
}

// Writer accumulates metric families in the text format. Each family
// starts with Family (its HELP and TYPE lines) and is followed by its
// samples; a family with no samples is valid and says "nothing yet".
type Writer struct {
	buf bytes.Buffer
}

// Family starts a family: typ is counter, gauge or histogram.
func (w *Writer) Family(name, typ, help string) {
	w.buf.WriteString("# HELP ")
	w.buf.WriteString(name)
	w.buf.WriteByte(' ')
	w.buf.WriteString(escapeHelp(help))
	w.buf.WriteString("\n# TYPE ")
	w.buf.WriteString(name)
	w.buf.WriteByte(' ')
	w.buf.WriteString(typ)
	w.buf.WriteByte('\n')
}

// Sample writes one sample; labels are name, value pairs.
func (w *Writer) Sample(name string, v float64, labels ...string) {
	w.buf.WriteString(name)
	if len(labels) > 0 {
		w.buf.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.buf.WriteString(labels[i])
			w.buf.WriteString(`="`)
			w.buf.WriteString(escapeLabel(labels[i+1]))
			w.buf.WriteByte('"')
		}
		w.buf.WriteByte('}')
	}
	w.buf.WriteByte(' ')
	w.buf.WriteString(formatValue(v))
	w.buf.WriteByte('\n')
}

// Histogram writes the samples of one histogram series: cumulative bucket
// counts (counts[i] observations at or below bounds[i]; the last count is
// every observation), the sum and the count.
func (w *Writer) Histogram(name string, bounds []float64, cumulative []uint64, sum float64, labels ...string) {
	for i, b := range bounds {
		w.Sample(name+"_bucket", float64(cumulative[i]), append(slices.Clip(labels), "le", formatValue(b))...)
	}
	total := cumulative[len(cumulative)-1]
	w.Sample(name+"_bucket", float64(total), append(slices.Clip(labels), "le", "+Inf")...)
	w.Sample(name+"_sum", sum, labels...)
	w.Sample(name+"_count", float64(total), labels...)
}

// String returns what was written (for tests).
func (w *Writer) String() string { return w.buf.String() }

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// Histogram is an in-process histogram family with labels, safe for
// concurrent use. Observations are counted in the first bucket whose bound
// they do not exceed.
type Histogram struct {
	name, help string
	labels     []string
	bounds     []float64

	mu     sync.Mutex
	series map[string]*histSeries
}

type histSeries struct {
	values []string
	counts []uint64 // per bucket, the last one past every bound
	sum    float64
}

// NewHistogram returns a histogram family with the given label names and
// upper bounds (ascending).
func NewHistogram(name, help string, bounds []float64, labels ...string) *Histogram {
	if !slices.IsSorted(bounds) {
		panic(fmt.Sprintf("metrics: %s: bounds are not ascending", name))
	}
	return &Histogram{name: name, help: help, labels: labels, bounds: bounds, series: map[string]*histSeries{}}
}

// Observe adds v to the series with the given label values.
func (h *Histogram) Observe(v float64, values ...string) {
	key := strings.Join(values, "\x00")
	i, _ := slices.BinarySearch(h.bounds, v)
	h.mu.Lock()
	s := h.series[key]
	if s == nil {
		s = &histSeries{values: slices.Clone(values), counts: make([]uint64, len(h.bounds)+1)}
		h.series[key] = s
	}
	s.counts[i]++
	s.sum += v
	h.mu.Unlock()
}

// Collect writes the family, its series sorted by label values.
func (h *Histogram) Collect(_ context.Context, w *Writer) error {
	w.Family(h.name, "histogram", h.help)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, key := range slices.Sorted(maps.Keys(h.series)) {
		s := h.series[key]
		cum := make([]uint64, len(s.counts))
		var n uint64
		for i, c := range s.counts {
			n += c
			cum[i] = n
		}
		w.Histogram(h.name, h.bounds, cum, s.sum, pairs(h.labels, s.values)...)
	}
	return nil
}

// Counter is an in-process counter family with labels, safe for
// concurrent use.
type Counter struct {
	name, help string
	labels     []string

	mu     sync.Mutex
	series map[string]*counterSeries
}

type counterSeries struct {
	values []string
	n      float64
}

// NewCounter returns a counter family with the given label names.
func NewCounter(name, help string, labels ...string) *Counter {
	return &Counter{name: name, help: help, labels: labels, series: map[string]*counterSeries{}}
}

// Add adds v (not negative) to the series with the given label values.
func (c *Counter) Add(v float64, values ...string) {
	key := strings.Join(values, "\x00")
	c.mu.Lock()
	s := c.series[key]
	if s == nil {
		s = &counterSeries{values: slices.Clone(values)}
		c.series[key] = s
	}
	s.n += v
	c.mu.Unlock()
}

// Collect writes the family, its series sorted by label values.
func (c *Counter) Collect(_ context.Context, w *Writer) error {
	w.Family(c.name, "counter", c.help)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range slices.Sorted(maps.Keys(c.series)) {
		s := c.series[key]
		w.Sample(c.name, s.n, pairs(c.labels, s.values)...)
	}
	return nil
}

func pairs(names, values []string) []string {
	out := make([]string, 0, 2*len(names))
	for i, n := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		out = append(out, n, v)
	}
	return out
}
