//go:build !wasip1

package barrage

// Outside a wasip1 build there is no Barrage host: every host function
// panics, saying so. The package still compiles, so that editors, go vet
// and unit tests of a scenario's pure code work.

const noHost = "barrage: host functions work only inside a test run by Barrage " +
	"(build the scenario with `barrage build`, or GOOS=wasip1 GOARCH=wasm)"

type missingHost struct{}

func newHost() hostAPI { return missingHost{} }

func (missingHost) send(*outgoing) *Response                              { panic(noHost) }
func (missingHost) batch([]*outgoing) []*Response                         { panic(noHost) }
func (missingHost) defineMetric(string, metricKind, bool) (uint32, error) { panic(noHost) }
func (missingHost) addMetric(uint32, float64, []pair)                     { panic(noHost) }
func (missingHost) check(string, bool, []pair) bool                       { panic(noHost) }
func (missingHost) groupStart(string)                                     { panic(noHost) }
func (missingHost) groupEnd()                                             { panic(noHost) }
func (missingHost) vu() VUInfo                                            { panic(noHost) }
func (missingHost) env(string) (string, bool)                             { panic(noHost) }
func (missingHost) sleep(float64)                                         { panic(noHost) }
func (missingHost) log(logLevel, string)                                  { panic(noHost) }
