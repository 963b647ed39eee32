package barrage

// Custom metrics: counters, gauges, rates and trends of the scenario's
// own. Samples go to the host, which aggregates them beside the built-in
// http_req_* metrics and checks them against thresholds.
//
// A metric value can be made anywhere, also in a package-level variable:
// the host learns of it on first use, in each VU. Call Define in
// Scenario.Init to find a bad name before the first iteration rather than
// in it.

import (
	"fmt"
	"time"
)

// metric is a metric the host defines on first use.
type metric struct {
	name    string
	kind    metricKind
	isTime  bool
	defined bool
	handle  uint32
	err     error
}

func (m *metric) define() error {
	if !m.defined {
		m.defined = true
		handle, err := host.defineMetric(m.name, m.kind, m.isTime)
		if err != nil {
			m.err = fmt.Errorf("cannot define metric %q: %w", m.name, err)
		}
		m.handle = handle
	}
	return m.err
}

// add sends one sample. A metric the host refused panics, which fails the
// iteration with the reason: samples must not vanish silently.
func (m *metric) add(value float64, tags []Tags) {
	if err := m.define(); err != nil {
		panic(err)
	}
	host.addMetric(m.handle, value, mergeTags(tags))
}

// Counter is a sum that only grows: the summary shows its count and its
// rate per second.
//
//	var created = barrage.NewCounter("items_created")
//	...
//	created.Add(1)
type Counter struct{ m metric }

// NewCounter makes the counter name, defined in the host on first use.
func NewCounter(name string) *Counter {
	return &Counter{metric{name: name, kind: kindCounter}}
}

// Define defines the counter in the host now. It fails when the name is
// invalid or names a metric of another kind.
func (c *Counter) Define() error { return c.m.define() }

// Add adds value to the sum, with optional extra tags on this sample. It
// panics if the host refused the metric (see Define).
func (c *Counter) Add(value float64, tags ...Tags) { c.m.add(value, tags) }

// Gauge holds the last value set, with its minimum and maximum.
type Gauge struct{ m metric }

// NewGauge makes the gauge name, defined in the host on first use.
func NewGauge(name string) *Gauge {
	return &Gauge{metric{name: name, kind: kindGauge}}
}

// Define defines the gauge in the host now. It fails when the name is
// invalid or names a metric of another kind.
func (g *Gauge) Define() error { return g.m.define() }

// Set sets the gauge to value, with optional extra tags on this sample.
// It panics if the host refused the metric (see Define).
func (g *Gauge) Set(value float64, tags ...Tags) { g.m.add(value, tags) }

// Rate is the share of samples that were true.
type Rate struct{ m metric }

// NewRate makes the rate name, defined in the host on first use.
func NewRate(name string) *Rate {
	return &Rate{metric{name: name, kind: kindRate}}
}

// Define defines the rate in the host now. It fails when the name is
// invalid or names a metric of another kind.
func (r *Rate) Define() error { return r.m.define() }

// Add adds one sample, true or false, with optional extra tags on it. It
// panics if the host refused the metric (see Define).
func (r *Rate) Add(value bool, tags ...Tags) {
	sample := 0.0
	if value {
		sample = 1
	}
	r.m.add(sample, tags)
}

// Trend is a distribution: the summary shows its average, minimum,
// median, maximum and percentiles.
type Trend struct{ m metric }

// NewTrend makes the trend name, defined in the host on first use. With
// isTime, its samples are milliseconds and the summary prints them as
// durations.
//
//	var createDuration = barrage.NewTrend("flow_create_duration", true)
func NewTrend(name string, isTime bool) *Trend {
	return &Trend{metric{name: name, kind: kindTrend, isTime: isTime}}
}

// Define defines the trend in the host now. It fails when the name is
// invalid or names a metric of another kind.
func (t *Trend) Define() error { return t.m.define() }

// Add adds one sample (for a time trend, in milliseconds), with optional
// extra tags on it. It panics if the host refused the metric (see Define).
func (t *Trend) Add(value float64, tags ...Tags) { t.m.add(value, tags) }

// AddDuration adds d as a sample in milliseconds, with optional extra tags
// on it.
func (t *Trend) AddDuration(d time.Duration, tags ...Tags) {
	t.m.add(float64(d)/float64(time.Millisecond), tags)
}
