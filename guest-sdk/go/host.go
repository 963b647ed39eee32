package barrage

// The host's functions as the rest of the package sees them.
//
// In a wasip1 build they are the component's imports, lowered by hand in
// host_wasip1.go; elsewhere they panic (host_other.go). Unit tests swap in
// a fake. Keeping this seam narrow keeps every unsafe detail of the
// canonical ABI in one file.

// pair is one (name, value) entry of the contract's `tags` and `headers`
// lists.
type pair struct {
	name, value string
}

// outgoing is a request in the contract's terms, ready to be lowered.
type outgoing struct {
	method     string
	url        string
	headers    []pair
	body       []byte
	hasBody    bool
	timeoutMS  uint32
	hasTimeout bool
	name       string
	hasName    bool
	tags       []pair
	discard    bool
}

// metricKind is the contract's `metric-kind`, in its order.
type metricKind uint32

const (
	kindCounter metricKind = iota
	kindGauge
	kindRate
	kindTrend
)

// logLevel is the contract's `level`, in its order.
type logLevel uint32

const (
	levelDebug logLevel = iota
	levelInfo
	levelWarn
	levelError
)

// hostAPI is every function the contract imports.
type hostAPI interface {
	send(req *outgoing) *Response
	batch(reqs []*outgoing) []*Response
	defineMetric(name string, kind metricKind, isTime bool) (handle uint32, err error)
	addMetric(handle uint32, value float64, tags []pair)
	check(name string, passed bool, tags []pair) bool
	groupStart(name string)
	groupEnd()
	vu() VUInfo
	env(key string) (string, bool)
	sleep(seconds float64)
	log(level logLevel, message string)
}

// host is the host of this build; see newHost.
var host hostAPI = newHost()
