package barrage

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeHost records what the SDK asks of the host.
type fakeHost struct {
	sent      []*outgoing
	batches   [][]*outgoing
	answer    func(*outgoing) *Response
	short     int // answers this many fewer responses to a batch
	defined   []string
	defineErr error
	samples   []sample
	checks    []sample
	groups    []string
	vars      map[string]string
	logs      []string
}

type sample struct {
	name  string
	value float64
	tags  []pair
}

func (f *fakeHost) send(req *outgoing) *Response {
	f.sent = append(f.sent, req)
	if f.answer != nil {
		return f.answer(req)
	}
	return &Response{Status: 200, URL: req.url}
}

func (f *fakeHost) batch(reqs []*outgoing) []*Response {
	f.batches = append(f.batches, reqs)
	var out []*Response
	for _, r := range reqs[:len(reqs)-f.short] {
		out = append(out, &Response{Status: 200, URL: r.url})
	}
	return out
}

func (f *fakeHost) defineMetric(name string, kind metricKind, isTime bool) (uint32, error) {
	f.defined = append(f.defined, name)
	if f.defineErr != nil {
		return 0, f.defineErr
	}
	return uint32(len(f.defined)), nil
}

func (f *fakeHost) addMetric(handle uint32, value float64, tags []pair) {
	f.samples = append(f.samples, sample{f.defined[handle-1], value, tags})
}

func (f *fakeHost) check(name string, passed bool, tags []pair) bool {
	v := 0.0
	if passed {
		v = 1
	}
	f.checks = append(f.checks, sample{name, v, tags})
	return passed
}

func (f *fakeHost) groupStart(name string) { f.groups = append(f.groups, "+"+name) }
func (f *fakeHost) groupEnd()              { f.groups = append(f.groups, "-") }
func (f *fakeHost) vu() VUInfo             { return VUInfo{ID: 3, Iteration: 7, Scenario: "default"} }
func (f *fakeHost) sleep(float64)          {}

func (f *fakeHost) env(key string) (string, bool) {
	v, ok := f.vars[key]
	return v, ok
}

func (f *fakeHost) log(level logLevel, message string) {
	f.logs = append(f.logs, message)
}

// withFake installs a fake host and a clean registration for one test.
func withFake(t *testing.T) *fakeHost {
	t.Helper()
	fake := &fakeHost{vars: map[string]string{}}
	saved := host
	host = fake
	registered, optionsJSON, problem, vuReady = nil, "", "", false
	t.Cleanup(func() {
		host = saved
		registered, optionsJSON, problem, vuReady = nil, "", "", false
	})
	return fake
}

func TestWithJSONReplacesTheContentTypeAndKeepsHTML(t *testing.T) {
	r := NewRequest("POST", "http://x/", nil,
		WithHeader("content-type", "text/plain"),
		WithHeader("X-A", "1"),
		WithJSON(map[string]string{"a": "<&>"}),
	)
	if got := string(r.Body); got != `{"a":"<&>"}` {
		t.Fatalf("body %q", got)
	}
	want := []Header{{"X-A", "1"}, {"Content-Type", "application/json"}}
	if !reflect.DeepEqual(r.Headers, want) {
		t.Fatalf("headers %v", r.Headers)
	}
}

func TestABodyThatCannotBeEncodedIsNotSent(t *testing.T) {
	fake := withFake(t)
	res := Post("http://x/", nil, WithJSON(make(chan int)))
	if res.Status != 0 || res.ErrorCode != 1000 || !strings.HasPrefix(res.Error, "cannot encode the JSON body") {
		t.Fatalf("response %+v", res)
	}
	if len(fake.sent) != 0 {
		t.Fatal("the request reached the host")
	}
}

func TestTimeoutRoundsUpToWholeMilliseconds(t *testing.T) {
	cases := map[time.Duration]uint32{
		time.Microsecond:             1,
		1500 * time.Millisecond:      1500,
		1500*time.Millisecond + 1:    1501,
		time.Duration(math.MaxInt64): math.MaxUint32,
	}
	for d, want := range cases {
		if got := timeoutMillis(d); got != want {
			t.Errorf("timeoutMillis(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestWireKeepsOrderAndOptionality(t *testing.T) {
	w := NewRequest("GET", "http://x/", nil,
		WithHeader("B", "2"), WithHeader("A", "1"), WithHeader("B", "3"),
		WithTag("z", "1"), WithTag("a", "2"), WithTag("z", "3"),
		WithName("items"), DiscardBody(), WithTimeout(time.Second),
	).wire()
	if w.hasBody {
		t.Error("a nil body is sent")
	}
	if got := []pair{{"B", "2"}, {"A", "1"}, {"B", "3"}}; !reflect.DeepEqual(w.headers, got) {
		t.Errorf("headers %v", w.headers)
	}
	if got := []pair{{"a", "2"}, {"z", "3"}}; !reflect.DeepEqual(w.tags, got) {
		t.Errorf("tags %v", w.tags)
	}
	if !w.hasName || w.name != "items" || !w.discard || !w.hasTimeout || w.timeoutMS != 1000 {
		t.Errorf("wire %+v", w)
	}
	empty := NewRequest("POST", "http://x/", []byte{}).wire()
	if !empty.hasBody || empty.hasName || empty.hasTimeout {
		t.Errorf("wire %+v", empty)
	}
}

func TestBatchAnswersInOrder(t *testing.T) {
	fake := withFake(t)
	fake.short = 1
	res := Batch([]*Req{
		NewRequest("GET", "http://x/1", nil),
		nil,
		NewRequest("POST", "http://x/2", nil, WithJSON(math.Inf(1))),
		NewRequest("GET", "http://x/3", nil),
	})
	if len(res) != 4 || len(fake.batches) != 1 || len(fake.batches[0]) != 2 {
		t.Fatalf("%d responses, batches %v", len(res), fake.batches)
	}
	if res[0].Status != 200 || res[0].URL != "http://x/1" {
		t.Errorf("first %+v", res[0])
	}
	if res[1].Status != 0 || res[2].Status != 0 || res[2].URL != "http://x/2" {
		t.Errorf("unsent %+v %+v", res[1], res[2])
	}
	if res[3].Status != 0 || !strings.Contains(res[3].Error, "no response") {
		t.Errorf("missing %+v", res[3])
	}
}

func TestResponseHelpers(t *testing.T) {
	r := &Response{
		Status:  503,
		URL:     "http://x/",
		Headers: []Header{{"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}},
		Body:    []byte(`{"n": 1}`),
	}
	if r.Header("SET-COOKIE") != "a=1" || r.Header("content-type") != "" {
		t.Error("Header")
	}
	if got := r.HeaderValues("set-cookie"); !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
		t.Errorf("HeaderValues %v", got)
	}
	if err := r.Err(); err == nil || err.Error() != "http://x/ answered with status 503" {
		t.Errorf("Err %v", err)
	}
	var v struct{ N int }
	if err := r.JSON(&v); err != nil || v.N != 1 {
		t.Errorf("JSON %v %v", err, v)
	}
	var wrong []int
	if err := r.JSON(&wrong); err == nil || !strings.HasPrefix(err.Error(), "the body from http://x/ is not the expected JSON") {
		t.Errorf("JSON error %v", err)
	}
	refused := &Response{URL: "http://x/", Error: "refused"}
	if err := refused.Err(); err == nil || err.Error() != "request to http://x/ failed: refused" {
		t.Errorf("Err %v", err)
	}
	ok := &Response{Status: 204}
	if ok.Err() != nil || !ok.IsSuccess() || ok.IsTransportError() {
		t.Error("2xx")
	}
}

func TestCheckAllRunsEveryConditionInOrder(t *testing.T) {
	fake := withFake(t)
	all := CheckAll(5,
		Cond("b", func(n int) bool { return n == 4 }),
		Cond("a", func(n int) bool { return n == 5 }),
	)
	if all {
		t.Error("a failed condition passed")
	}
	if len(fake.checks) != 2 || fake.checks[0].name != "b" || fake.checks[1].name != "a" ||
		fake.checks[0].value != 0 || fake.checks[1].value != 1 {
		t.Errorf("checks %v", fake.checks)
	}
	Check("tagged", true, Tags{"x": "1", "y": "1"}, Tags{"x": "2"})
	if got := fake.checks[2].tags; !reflect.DeepEqual(got, []pair{{"x", "2"}, {"y", "1"}}) {
		t.Errorf("tags %v", got)
	}
}

func TestGroupsEndWhicheverWayTheyLeave(t *testing.T) {
	fake := withFake(t)
	func() {
		defer func() { _ = recover() }()
		Group("outer", func() {
			Group("inner", func() { panic("boom") })
		})
	}()
	err := GroupErr("e", func() error { return errors.New("x") })
	g := StartGroup("open")
	g.End()
	g.End()
	want := []string{"+outer", "+inner", "-", "-", "+e", "-", "+open", "-"}
	if err == nil || !reflect.DeepEqual(fake.groups, want) {
		t.Errorf("groups %v, err %v", fake.groups, err)
	}
}

func TestMetricsAreDefinedOnceOnFirstUse(t *testing.T) {
	fake := withFake(t)
	c := NewCounter("items")
	tr := NewTrend("took", true)
	r := NewRate("ok")
	if len(fake.defined) != 0 {
		t.Fatal("defined at creation")
	}
	c.Add(1)
	c.Add(2, Tags{"k": "v"})
	tr.AddDuration(1500 * time.Microsecond)
	r.Add(true)
	r.Add(false)
	if !reflect.DeepEqual(fake.defined, []string{"items", "took", "ok"}) {
		t.Errorf("defined %v", fake.defined)
	}
	want := []sample{
		{"items", 1, nil}, {"items", 2, []pair{{"k", "v"}}},
		{"took", 1.5, nil}, {"ok", 1, nil}, {"ok", 0, nil},
	}
	if !reflect.DeepEqual(fake.samples, want) {
		t.Errorf("samples %v", fake.samples)
	}
}

func TestARefusedMetricPanicsWithTheReason(t *testing.T) {
	fake := withFake(t)
	fake.defineErr = errors.New("invalid name")
	g := NewGauge("bad name")
	if err := g.Define(); err == nil || err.Error() != `cannot define metric "bad name": invalid name` {
		t.Fatalf("Define %v", err)
	}
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(error).Error(), "invalid name") {
			t.Errorf("recovered %v", v)
		}
		if len(fake.defined) != 1 {
			t.Errorf("defined %d times", len(fake.defined))
		}
	}()
	g.Set(1)
}

func TestEnvHelpers(t *testing.T) {
	fake := withFake(t)
	fake.vars["SLEEP"] = " 0.5 "
	fake.vars["BAD"] = "soon"
	fake.vars["N"] = "12"
	if EnvOr("MISSING", "d") != "d" || EnvOr("N", "d") != "12" {
		t.Error("EnvOr")
	}
	if v, err := EnvFloat("SLEEP", 1); v != 0.5 || err != nil {
		t.Errorf("EnvFloat %v %v", v, err)
	}
	if v, err := EnvFloat("MISSING", 1); v != 1 || err != nil {
		t.Errorf("EnvFloat default %v %v", v, err)
	}
	if _, err := EnvFloat("BAD", 1); err == nil || !strings.Contains(err.Error(), "BAD") {
		t.Errorf("EnvFloat error %v", err)
	}
	if v, err := EnvInt("N", 0); v != 12 || err != nil {
		t.Errorf("EnvInt %v %v", v, err)
	}
}

func TestTheLifecycle(t *testing.T) {
	withFake(t)
	var got []string
	Register(Scenario{
		Options: map[string]any{"vus": 2},
		Setup:   func() (any, error) { return map[string]string{"k": "<v>"}, nil },
		Init: func(d SetupData) error {
			var v map[string]string
			err := d.Decode(&v)
			got = append(got, "init "+v["k"])
			return err
		},
		Default:  func() error { got = append(got, "default"); return nil },
		Exec:     map[string]func() error{"other": func() error { return errors.New("other failed") }},
		Teardown: func(d SetupData) error { got = append(got, "teardown "+string(d)); return nil },
	})
	if runOptions() != `{"vus":2}` {
		t.Errorf("options %q", runOptions())
	}
	if err := runIteration("default"); err == nil || !strings.Contains(err.Error(), "before init") {
		t.Errorf("iteration before init: %v", err)
	}
	data, err := runSetup()
	if err != nil || data != `{"k":"<v>"}` {
		t.Fatalf("setup %q %v", data, err)
	}
	if err := runInit(data); err != nil {
		t.Fatal(err)
	}
	if err := runIteration("default"); err != nil {
		t.Error(err)
	}
	if err := runIteration("other"); err == nil || err.Error() != "other failed" {
		t.Errorf("other: %v", err)
	}
	if err := runIteration("nope"); err == nil || err.Error() != `unknown exec function "nope"` {
		t.Errorf("nope: %v", err)
	}
	if err := runTeardown(data); err != nil {
		t.Error(err)
	}
	out, err := runHandleSummary([]byte("{}"))
	if err != nil || !out.builtin || len(out.files) != 0 {
		t.Errorf("summary %+v %v", out, err)
	}
	want := []string{"init <v>", "default", `teardown {"k":"<v>"}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls %v", got)
	}
}

func TestRegistrationMistakesAreReported(t *testing.T) {
	withFake(t)
	if err := runInit(""); err == nil || !strings.Contains(err.Error(), "no scenario is registered") {
		t.Errorf("unregistered: %v", err)
	}
	Register(Scenario{Options: json.RawMessage(`{"vus":1}`)})
	if runOptions() != `{"vus":1}` {
		t.Errorf("raw options %q", runOptions())
	}
	if err := runInit(""); err != nil {
		t.Errorf("init without Init: %v", err)
	}
	if err := runIteration("default"); err == nil || err.Error() != "the scenario has no Default function" {
		t.Errorf("no default: %v", err)
	}
	Register(Scenario{})
	if _, err := runSetup(); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("twice: %v", err)
	}
}

func TestBadOptionsFailTheTest(t *testing.T) {
	withFake(t)
	Register(Scenario{Options: map[string]any{"f": func() {}}})
	if _, err := runSetup(); err == nil || !strings.Contains(err.Error(), "Options") {
		t.Errorf("setup: %v", err)
	}
}

func TestSummaryOutput(t *testing.T) {
	withFake(t)
	Register(Scenario{HandleSummary: func(s []byte) (*SummaryOutput, error) {
		return ReplaceSummary().Stdout("text").File("a.json", string(s)).Stderr("e"), nil
	}})
	out, err := runHandleSummary([]byte("{}"))
	if err != nil || out.builtin {
		t.Fatalf("%+v %v", out, err)
	}
	want := []pair{{"stdout", "text"}, {"a.json", "{}"}, {"stderr", "e"}}
	if !reflect.DeepEqual(out.files, want) {
		t.Errorf("files %v", out.files)
	}
}

func TestErrorsAndPanicsBecomeMessages(t *testing.T) {
	fake := withFake(t)
	if err := protect(func() error { return errors.New("") }); err == nil || err.Error() == "" {
		t.Errorf("empty message: %v", err)
	}
	err := protect(func() error {
		var m map[string]int
		m["x"] = 1
		return nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "panic: assignment to entry in nil map") {
		t.Fatalf("panic: %v", err)
	}
	if len(fake.logs) != 1 || !strings.Contains(fake.logs[0], "goroutine") {
		t.Errorf("logs %v", fake.logs)
	}
	if err := protect(func() error { panic(errors.New("as error")) }); err == nil || !strings.HasPrefix(err.Error(), "panic: as error") {
		t.Errorf("error panic: %v", err)
	}
}
