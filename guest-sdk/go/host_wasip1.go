//go:build wasip1

package barrage

// The contract's imports, lowered by hand.
//
// Each wasmimport below is the core function that wit-component expects
// for the WIT function named in its comment, flattened by the canonical
// ABI: strings and lists become (pointer, length), parameters that flatten
// to more than 16 values are passed as one pointer to a record, and
// results that flatten to more than one value are written to a return
// area whose pointer is the last parameter.

import (
	"errors"
	"math"
	"time"
)

// http.send: func(req: request) -> response
//
//go:wasmimport barrage:scenario/http@0.1.0 send
func wasmSend(req, ret uint32)

// http.batch: func(reqs: list<request>) -> list<response>
//
//go:wasmimport barrage:scenario/http@0.1.0 batch
func wasmBatch(reqsPtr, reqsLen, ret uint32)

// metrics.metric.define: static func(name: string, kind: metric-kind,
// is-time: bool) -> result<metric, string>
//
//go:wasmimport barrage:scenario/metrics@0.1.0 [static]metric.define
func wasmMetricDefine(namePtr, nameLen, kind, isTime, ret uint32)

// metrics.metric.add: func(value: f64, tags: tags)
//
//go:wasmimport barrage:scenario/metrics@0.1.0 [method]metric.add
func wasmMetricAdd(self uint32, value float64, tagsPtr, tagsLen uint32)

// metrics.check: func(name: string, passed: bool, tags: tags) -> bool
//
//go:wasmimport barrage:scenario/metrics@0.1.0 check
func wasmCheck(namePtr, nameLen, passed, tagsPtr, tagsLen uint32) uint32

// metrics.group-start: func(name: string)
//
//go:wasmimport barrage:scenario/metrics@0.1.0 group-start
func wasmGroupStart(namePtr, nameLen uint32)

// metrics.group-end: func()
//
//go:wasmimport barrage:scenario/metrics@0.1.0 group-end
func wasmGroupEnd()

// execution.vu: func() -> vu-info
//
//go:wasmimport barrage:scenario/execution@0.1.0 vu
func wasmVU(ret uint32)

// execution.env: func(key: string) -> option<string>
//
//go:wasmimport barrage:scenario/execution@0.1.0 env
func wasmEnv(keyPtr, keyLen, ret uint32)

// execution.sleep: func(seconds: f64)
//
//go:wasmimport barrage:scenario/execution@0.1.0 sleep
func wasmSleep(seconds float64)

// log.write: func(level: level, message: string)
//
//go:wasmimport barrage:scenario/log@0.1.0 write
func wasmLog(level, msgPtr, msgLen uint32)

// Layout of http.request in memory: size 68, alignment 4.
const (
	reqMethod    = 0  // string
	reqURL       = 8  // string
	reqHeaders   = 16 // list<tuple<string, string>>
	reqBody      = 24 // option<list<u8>>: tag, then (pointer, length) at +4
	reqTimeout   = 36 // option<u32>: tag, then value at +4
	reqName      = 44 // option<string>: tag, then (pointer, length) at +4
	reqTags      = 56 // list<tuple<string, string>>
	reqBodyMode  = 64 // enum body-mode, one byte
	requestSize  = 68
	responseSize = 104
)

// Layout of http.response in memory: size 104, alignment 8.
const (
	resStatus    = 0  // u16
	resURL       = 4  // string
	resProto     = 12 // string
	resHeaders   = 20 // list<tuple<string, string>>
	resBody      = 28 // list<u8>
	resError     = 36 // string
	resErrorCode = 44 // u32
	resTimings   = 48 // seven f64: blocked, connecting, tls-handshaking,
	// sending, waiting, receiving, duration
)

type wasmHost struct{}

func newHost() hostAPI { return wasmHost{} }

// lowerRequest writes req as an http.request record at b[off:].
func lowerRequest(b []byte, off int, req *outgoing) {
	r := b[off : off+requestSize]
	putString(r, reqMethod, req.method)
	putString(r, reqURL, req.url)
	ptr, n := lowerPairs(req.headers)
	put32(r, reqHeaders, ptr)
	put32(r, reqHeaders+4, n)
	if req.hasBody {
		put8(r, reqBody, 1)
		put32(r, reqBody+4, pinBytes(req.body))
		put32(r, reqBody+8, uint32(len(req.body)))
	}
	if req.hasTimeout {
		put8(r, reqTimeout, 1)
		put32(r, reqTimeout+4, req.timeoutMS)
	}
	if req.hasName {
		put8(r, reqName, 1)
		putString(r, reqName+4, req.name)
	}
	ptr, n = lowerPairs(req.tags)
	put32(r, reqTags, ptr)
	put32(r, reqTags+4, n)
	if req.discard {
		put8(r, reqBodyMode, 1)
	}
}

// liftResponse reads an http.response record from b[off:].
func liftResponse(b []byte, off int) *Response {
	r := b[off : off+responseSize]
	ms := func(field int) time.Duration {
		return millis(getF64(r, resTimings+8*field))
	}
	return &Response{
		Status:    int(get16(r, resStatus)),
		URL:       getString(r, resURL),
		Proto:     getString(r, resProto),
		Headers:   liftHeaders(get32(r, resHeaders), get32(r, resHeaders+4)),
		Body:      hostBytes(get32(r, resBody), get32(r, resBody+4)),
		Error:     getString(r, resError),
		ErrorCode: int(get32(r, resErrorCode)),
		Timings: Timings{
			Blocked:        ms(0),
			Connecting:     ms(1),
			TLSHandshaking: ms(2),
			Sending:        ms(3),
			Waiting:        ms(4),
			Receiving:      ms(5),
			Duration:       ms(6),
		},
	}
}

// millis converts the host's milliseconds to a Duration, rounded to the
// nanosecond; values the type cannot hold are clamped.
func millis(ms float64) time.Duration {
	ns := math.Round(ms * float64(time.Millisecond))
	switch {
	case math.IsNaN(ns) || ns <= 0:
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(ns)
}

func (wasmHost) send(req *outgoing) *Response {
	beginCall()
	defer callDone()
	b := newBlock(requestSize)
	lowerRequest(b, 0, req)
	wasmSend(pinBytes(b), addrOfBytes(retBytes()))
	return liftResponse(retBytes(), 0)
}

func (wasmHost) batch(reqs []*outgoing) []*Response {
	if len(reqs) == 0 {
		return nil
	}
	beginCall()
	defer callDone()
	b := newBlock(len(reqs) * requestSize)
	for i, req := range reqs {
		lowerRequest(b, i*requestSize, req)
	}
	wasmBatch(pinBytes(b), uint32(len(reqs)), addrOfBytes(retBytes()))
	ret := retBytes()
	ptr, n := get32(ret, 0), get32(ret, 4)
	list := hostBytes(ptr, n*responseSize)
	responses := make([]*Response, n)
	for i := range responses {
		responses[i] = liftResponse(list, i*responseSize)
	}
	return responses
}

func (wasmHost) defineMetric(name string, kind metricKind, isTime bool) (uint32, error) {
	beginCall()
	defer callDone()
	wasmMetricDefine(pinString(name), uint32(len(name)), uint32(kind), boolWord(isTime), addrOfBytes(retBytes()))
	// result<metric, string>: tag, then the handle or the message at +4.
	ret := retBytes()
	if get8(ret, 0) == 0 {
		return get32(ret, 4), nil
	}
	return 0, errors.New(getString(ret, 4))
}

func (wasmHost) addMetric(handle uint32, value float64, tags []pair) {
	beginCall()
	defer callDone()
	ptr, n := lowerPairs(tags)
	wasmMetricAdd(handle, value, ptr, n)
}

func (wasmHost) check(name string, passed bool, tags []pair) bool {
	beginCall()
	defer callDone()
	ptr, n := lowerPairs(tags)
	return wasmCheck(pinString(name), uint32(len(name)), boolWord(passed), ptr, n) != 0
}

func (wasmHost) groupStart(name string) {
	beginCall()
	defer callDone()
	wasmGroupStart(pinString(name), uint32(len(name)))
}

func (wasmHost) groupEnd() {
	wasmGroupEnd()
}

func (wasmHost) vu() VUInfo {
	beginCall()
	defer callDone()
	wasmVU(addrOfBytes(retBytes()))
	// vu-info: id u32 at 0, iteration u64 at 8, scenario string at 16.
	ret := retBytes()
	return VUInfo{
		ID:        int(get32(ret, 0)),
		Iteration: int64(get64(ret, 8)),
		Scenario:  getString(ret, 16),
	}
}

func (wasmHost) env(key string) (string, bool) {
	beginCall()
	defer callDone()
	wasmEnv(pinString(key), uint32(len(key)), addrOfBytes(retBytes()))
	// option<string>: tag, then the string at +4.
	ret := retBytes()
	if get8(ret, 0) == 0 {
		return "", false
	}
	return getString(ret, 4), true
}

func (wasmHost) sleep(seconds float64) {
	wasmSleep(seconds)
}

func (wasmHost) log(level logLevel, message string) {
	beginCall()
	defer callDone()
	wasmLog(uint32(level), pinString(message), uint32(len(message)))
}
