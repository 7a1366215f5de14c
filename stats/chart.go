package stats

import (
	"math"
	"strconv"
)

// chart is an SVG chart laid out on the server: the template draws its
// shapes as they are, with no script and no style attribute (the page's
// Content-Security-Policy allows neither).
type chart struct {
	ID            string
	Title         string
	Width, Height int
	Lines         []svgLine
	Bars          []svgBar
	Texts         []svgText
	Legend        []legendItem
}

type svgLine struct{ X1, Y1, X2, Y2 string }

type svgBar struct {
	X, Y, W, H string
	Fill       string
	Title      string // the tooltip, and what a screen reader reads
}

type svgText struct {
	X, Y   string
	Anchor string // start, middle, end
	Text   string
}

type legendItem struct {
	Fill, Text string
	X, Y       string
}

// threatColours are the series colours of the threat types, distinct in
// print and for the common colour-vision deficiencies.
var threatColours = map[string]string{
	"phishing": "#0072b2",
	"malware":  "#d55e00",
	"botnet":   "#009e73",
	"pharming": "#cc79a7",
	"spam":     "#e69f00",
}

func fmtf(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// niceTop returns the axis top and tick step for counts up to most.
func niceTop(most int64) (top, step int64) {
	if most <= 5 {
		return max(most, 1), 1
	}
	raw := float64(most) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * mag; s >= raw {
			step = int64(s)
			break
		}
	}
	top = (most + step - 1) / step * step
	return top, step
}

// columns lays out vertical bar groups: one column per label, each a stack
// of (value, colour, tooltip) segments.
func columns(id, title string, labels []string, stacks [][]segment, legend []legendItem) chart {
	const w, h, left, right, top, bottom = 680, 260, 44, 12, 16, 56
	c := chart{ID: id, Title: title, Width: w, Height: h}
	var most int64
	for _, st := range stacks {
		var sum int64
		for _, s := range st {
			sum += s.value
		}
		most = max(most, sum)
	}
	axisTop, step := niceTop(most)
	plotH := float64(h - top - bottom)
	plotW := float64(w - left - right)
	y := func(v int64) float64 { return float64(top) + plotH - plotH*float64(v)/float64(axisTop) }
	for v := int64(0); v <= axisTop; v += step {
		c.Lines = append(c.Lines, svgLine{fmtf(left), fmtf(y(v)), fmtf(float64(w - right)), fmtf(y(v))})
		c.Texts = append(c.Texts, svgText{X: fmtf(left - 6), Y: fmtf(y(v) + 4), Anchor: "end", Text: strconv.FormatInt(v, 10)})
	}
	n := max(len(labels), 1)
	slot := plotW / float64(n)
	barW := math.Min(slot*0.7, 56)
	for i, lb := range labels {
		x := float64(left) + slot*float64(i) + (slot-barW)/2
		var base int64
		for _, s := range stacks[i] {
			if s.value == 0 {
				continue
			}
			c.Bars = append(c.Bars, svgBar{X: fmtf(x), Y: fmtf(y(base + s.value)), W: fmtf(barW),
				H: fmtf(y(base) - y(base+s.value)), Fill: s.colour, Title: s.title})
			base += s.value
		}
		c.Texts = append(c.Texts, svgText{X: fmtf(x + barW/2), Y: fmtf(float64(h-bottom) + 16), Anchor: "middle", Text: lb})
	}
	for i := range legend {
		legend[i].X = fmtf(float64(left + 110*i))
		legend[i].Y = fmtf(float64(h - 14))
	}
	c.Legend = legend
	return c
}

type segment struct {
	value  int64
	colour string
	title  string
}

// weeklyChart: threats identified per week, stacked by type.
func weeklyChart(r *Report) chart {
	var labels []string
	var stacks [][]segment
	for _, w := range r.Weekly {
		labels = append(labels, w.Start[5:]) // MM-DD
		var st []segment
		for _, t := range threatOrder() {
			st = append(st, segment{w.ByType[t], threatColours[t], w.Start + ": " + strconv.FormatInt(w.ByType[t], 10) + " " + t})
		}
		stacks = append(stacks, st)
	}
	var legend []legendItem
	for _, t := range threatOrder() {
		legend = append(legend, legendItem{Fill: threatColours[t], Text: t})
	}
	return columns("weekly", "Threats identified per week (from Monday), by type", labels, stacks, legend)
}

// respondChart: the distribution of the period's first responses.
func respondChart(r *Report) chart {
	var labels []string
	var stacks [][]segment
	for _, b := range r.RespondTimes {
		labels = append(labels, b.Label)
		stacks = append(stacks, []segment{{b.Count, "#0072b2", b.Label + ": " + strconv.FormatInt(b.Count, 10) + " responses"}})
	}
	return columns("respond", "Time to respond (first responses in the period)", labels, stacks, nil)
}

// actionsChart: the registry's actions taken by type.
func actionsChart(r *Report) chart {
	const w, left, right, top, rowH = 680, 120, 60, 8, 22
	h := top*2 + rowH*len(r.Actions.ByType)
	c := chart{ID: "actions", Title: "Actions taken by type", Width: w, Height: h}
	var most int64 = 1
	for _, a := range r.Actions.ByType {
		most = max(most, a.Count)
	}
	plotW := float64(w - left - right)
	for i, a := range r.Actions.ByType {
		y := float64(top + rowH*i)
		c.Texts = append(c.Texts, svgText{X: fmtf(left - 8), Y: fmtf(y + 15), Anchor: "end", Text: a.Kind})
		bw := plotW * float64(a.Count) / float64(most)
		if a.Count > 0 {
			c.Bars = append(c.Bars, svgBar{X: fmtf(left), Y: fmtf(y + 3), W: fmtf(bw), H: fmtf(rowH - 6), Fill: "#0072b2",
				Title: a.Kind + ": " + strconv.FormatInt(a.Count, 10)})
		}
		value := strconv.FormatInt(a.Count, 10)
		c.Texts = append(c.Texts, svgText{X: fmtf(float64(left) + bw + 6), Y: fmtf(y + 15), Anchor: "start", Text: value})
	}
	c.Lines = append(c.Lines, svgLine{fmtf(left), fmtf(top), fmtf(left), fmtf(float64(h - top))})
	return c
}
