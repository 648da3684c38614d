package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	quiverColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	natsColor   = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// short formats a value for a bar label: 123456 -> "123k".
func short(v float64) string {
	switch {
	case v == 0:
		return ""
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// shortTicks are plot.DefaultTicks labelled like the bars ("250k").
type shortTicks struct{}

func (shortTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = short(ts[i].Value)
			if ts[i].Value == 0 {
				ts[i].Label = "0"
			}
		}
	}
	return ts
}

// groupedBars adds a Quiver and a NATS bar per category to p, with value
// labels on top, and names the categories on the X axis.
func groupedBars(p *plot.Plot, names []string, q, n []float64) error {
	w := vg.Points(18)
	add := func(vals []float64, c color.Color, off vg.Length, legend string) error {
		bars, err := plotter.NewBarChart(plotter.Values(vals), w)
		if err != nil {
			return err
		}
		bars.Color = c
		bars.LineStyle.Width = 0
		bars.Offset = off
		p.Add(bars)
		p.Legend.Add(legend, bars)
		xys := make(plotter.XYs, len(vals))
		ls := make([]string, len(vals))
		for i, v := range vals {
			xys[i] = plotter.XY{X: float64(i), Y: v}
			ls[i] = short(v)
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: ls})
		if err != nil {
			return err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = text.XCenter
			labels.TextStyle[i].Font.Size = vg.Points(7)
		}
		labels.Offset = vg.Point{X: off, Y: vg.Points(2)}
		p.Add(labels)
		return nil
	}
	if err := add(q, quiverColor, -w/2, "Quiver"); err != nil {
		return err
	}
	if err := add(n, natsColor, w/2, "NATS JetStream"); err != nil {
		return err
	}
	p.NominalX(names...)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Y.Tick.Marker = shortTicks{}
	p.Y.Min = 0
	// Room above the tallest bar for its label.
	ymax := 0.0
	for _, v := range append(append([]float64{}, q...), n...) {
		ymax = max(ymax, v)
	}
	if ymax > 0 {
		p.Y.Max = ymax * 1.3
	}
	return nil
}

func save(c *vgimg.Canvas, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ThroughputChart draws msgs/s per workload, Quiver beside NATS, in two
// panels: publishing without waiting for the disk (and consuming), and
// publishing with an fsync per acknowledgement, whose scale is far lower.
func ThroughputChart(s map[Key]Summary, path string) error {
	tps := func(k Key) float64 {
		if v, ok := s[k]; ok {
			return v.TPS
		}
		return 0
	}
	type panel struct {
		title string
		rows  []int // indexes into Rows
	}
	panels := []panel{
		{"async flush / default sync interval, and consume", []int{0, 1, 2, 5}},
		{"SYNC_FLUSH / sync_interval: always", []int{3, 4}},
	}
	plots := make([][]*plot.Plot, 1)
	for _, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.title
		p.Y.Label.Text = "msgs/s (1 KiB)"
		var names []string
		var q, n []float64
		for _, i := range pn.rows {
			names = append(names, chartLabels[i])
			q = append(q, tps(Rows[i].Q))
			n = append(n, tps(Rows[i].N))
		}
		if err := groupedBars(p, names, q, n); err != nil {
			return err
		}
		plots[0] = append(plots[0], p)
	}
	return drawGrid(plots, path, 10*vg.Inch, 4*vg.Inch)
}

// LatencyChart draws p50, p99 and p99.9 for the workloads where both
// tools report a per-message latency, Quiver beside NATS.
func LatencyChart(s map[Key]Summary, path string) error {
	var plots []*plot.Plot
	titles := map[int]string{
		0: "async flush, 1 sender pipelined (NATS: per batch of 500)",
		2: "async flush / default interval, 64 senders",
		3: "SYNC_FLUSH / sync_interval: always, 1 sender",
		4: "SYNC_FLUSH / sync_interval: always, 64 senders",
	}
	for _, i := range []int{0, 2, 3, 4} {
		row := Rows[i]
		q, n := s[row.Q], s[row.N]
		p := plot.New()
		p.Title.Text = titles[i]
		p.Y.Label.Text = "µs"
		if err := groupedBars(p, []string{"p50", "p99", "p99.9"},
			[]float64{q.P50, q.P99, q.P999}, []float64{n.P50, n.P99, n.P999}); err != nil {
			return err
		}
		plots = append(plots, p)
	}
	return drawGrid([][]*plot.Plot{plots[:2], plots[2:]}, path, 10*vg.Inch, 7*vg.Inch)
}

func drawGrid(plots [][]*plot.Plot, path string, w, h vg.Length) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, t, dc)
	for j := range plots {
		for i, p := range plots[j] {
			p.Draw(canvases[j][i])
		}
	}
	return save(img, path)
}
