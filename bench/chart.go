package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// chart draws one query's results as an SVG: two bar charts side by side,
// req/s (longer is better) and p99 latency (shorter is better), one bar per
// contender. Written by hand: no plotting library in hasgen's go.mod.
func chart(q query, cs []*contender, res map[string]*result) string {
	type row struct {
		name     string
		rps, p99 float64
		color    string
	}
	var rows []row
	for i, c := range cs {
		r, ok := res[c.name]
		if !ok {
			continue
		}
		m := r.merged()
		rows = append(rows, row{c.name, m.rps(), ms(m.p(99)), palette[i%len(palette)]})
	}
	const (
		labelW = 130 // contender names
		panelW = 300 // one bar chart
		gap    = 40
		barH   = 22
		rowH   = 30
		top    = 56
	)
	width := labelW + 2*panelW + gap + 20
	height := top + rowH*len(rows) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", html.EscapeString(q.Name))
	panels := []struct {
		title string
		value func(row) float64
		unit  string
	}{
		{"requests per second (higher is better)", func(r row) float64 { return r.rps }, ""},
		{"p99 latency, ms (lower is better)", func(r row) float64 { return r.p99 }, " ms"},
	}
	for p, panel := range panels {
		x0 := labelW + p*(panelW+gap)
		max := 0.0
		for _, r := range rows {
			max = math.Max(max, panel.value(r))
		}
		if max == 0 {
			max = 1
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, top-14, panel.title)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`+"\n", x0, top-6, x0, top+rowH*len(rows))
		for i, r := range rows {
			y := top + i*rowH
			v := panel.value(r)
			w := int(math.Round(v / max * (panelW - 70)))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", x0, y, w, barH, r.color)
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s%s</text>`+"\n", x0+w+4, y+barH-7, formatValue(v), panel.unit)
		}
	}
	for i, r := range rows {
		y := top + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+barH-7, html.EscapeString(r.name))
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" fill="#666">graphql-bench Chinook; see results.md for the setup</text>`+"\n", height-12)
	b.WriteString("</svg>\n")
	return b.String()
}

// palette gives each contender, in start order, its colour: hasgen, raw
// pgx, hasgen compiled, PostGraphile 5, PostGraphile 4, GraphJin.
var palette = []string{"#1f77b4", "#7f7f7f", "#aec7e8", "#d62728", "#ff9896", "#2ca02c"}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
