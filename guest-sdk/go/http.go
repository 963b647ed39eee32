package barrage

// HTTP requests, sent and measured by the host.
//
// A scenario never opens a socket: it describes a request and the host
// sends it on the VU's own connections, recording every phase in the
// built-in http_req_* metrics.

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Header is one header field. Requests and responses keep their fields in
// order, and a name may appear more than once.
type Header struct {
	Name  string
	Value string
}

// Req describes one request: what [Get], [Post] and [Request] send at
// once, and what [Batch] sends several of in parallel. Build one with
// [NewRequest] and [Option]s, or fill the fields directly.
type Req struct {
	// Method is GET, POST, ... (any token; case is kept).
	Method string
	// URL is the absolute URL to request.
	URL string
	// Headers are sent in order; a name may repeat.
	Headers []Header
	// Body is sent as is; nil sends no body at all.
	Body []byte
	// Timeout limits the whole request, from sending to the last byte of
	// the body; zero or less leaves the host's default (60 s). It is
	// rounded up to whole milliseconds.
	Timeout time.Duration
	// Name stands for the URL in the metrics, so that URLs differing only
	// in ids share one line of results, as k6's name tag does. Empty
	// means the URL itself.
	Name string
	// Tags are added to this request's samples.
	Tags Tags
	// DiscardBody asks the host to read and count the body without
	// returning it, which saves copying bodies the scenario never reads.
	DiscardBody bool

	// problem is a mistake found while building the request (a JSON body
	// that would not encode), reported by Send as a failed response.
	problem string
}

// Option sets one property of a request.
type Option func(*Req)

// NewRequest describes a request without sending it: for [Batch], or to
// send it later with [Req.Send]. A nil body sends no body.
func NewRequest(method, url string, body []byte, opts ...Option) *Req {
	r := &Req{Method: method, URL: url, Body: body}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// WithHeader adds a header field. Fields are sent in the order added;
// adding a name twice sends it twice.
func WithHeader(name, value string) Option {
	return func(r *Req) {
		r.Headers = append(r.Headers, Header{Name: name, Value: value})
	}
}

// WithTag adds a tag to the request's samples, replacing an earlier tag of
// the same name.
func WithTag(name, value string) Option {
	return func(r *Req) {
		if r.Tags == nil {
			r.Tags = Tags{}
		}
		r.Tags[name] = value
	}
}

// WithName names the request in the metrics in place of its URL, as k6's
// name tag does:
//
//	barrage.Get(base+"/items/"+id, barrage.WithName(base+"/items/{id}"))
func WithName(name string) Option {
	return func(r *Req) { r.Name = name }
}

// WithTimeout limits the whole request; see [Req.Timeout].
func WithTimeout(timeout time.Duration) Option {
	return func(r *Req) { r.Timeout = timeout }
}

// DiscardBody has the host read and count the response body without
// returning it.
func DiscardBody() Option {
	return func(r *Req) { r.DiscardBody = true }
}

// WithBody sets the body, replacing any set before.
func WithBody(body []byte) Option {
	return func(r *Req) { r.Body = body }
}

// WithJSON sets the body to v encoded as JSON and the Content-Type to
// application/json, replacing any body and Content-Type set before. HTML
// characters are not escaped. If v cannot be encoded, the request is not
// sent: it answers with status 0 and an error naming the problem.
func WithJSON(v any) Option {
	return func(r *Req) {
		body, err := marshalJSON(v)
		if err != nil {
			r.problem = "cannot encode the JSON body: " + err.Error()
		}
		r.Body = body
		kept := r.Headers[:0]
		for _, h := range r.Headers {
			if !strings.EqualFold(h.Name, "Content-Type") {
				kept = append(kept, h)
			}
		}
		r.Headers = append(kept, Header{Name: "Content-Type", Value: "application/json"})
	}
}

// Get sends a GET request and waits for the whole response.
func Get(url string, opts ...Option) *Response {
	return NewRequest("GET", url, nil, opts...).Send()
}

// Post sends a POST request with body (nil for none, or use [WithJSON]).
func Post(url string, body []byte, opts ...Option) *Response {
	return NewRequest("POST", url, body, opts...).Send()
}

// Put sends a PUT request with body.
func Put(url string, body []byte, opts ...Option) *Response {
	return NewRequest("PUT", url, body, opts...).Send()
}

// Patch sends a PATCH request with body.
func Patch(url string, body []byte, opts ...Option) *Response {
	return NewRequest("PATCH", url, body, opts...).Send()
}

// Delete sends a DELETE request.
func Delete(url string, opts ...Option) *Response {
	return NewRequest("DELETE", url, nil, opts...).Send()
}

// Head sends a HEAD request.
func Head(url string, opts ...Option) *Response {
	return NewRequest("HEAD", url, nil, opts...).Send()
}

// Request sends a request with any method; the host sends the method as
// given. A nil body sends no body.
func Request(method, url string, body []byte, opts ...Option) *Response {
	return NewRequest(method, url, body, opts...).Send()
}

// Send sends the request and waits for the whole response. A network
// problem never panics or returns an error: the response has status 0 and
// says what went wrong in [Response.Error].
func (r *Req) Send() *Response {
	if r.problem != "" {
		return notSent(r.URL, r.problem)
	}
	return host.send(r.wire())
}

// Batch sends the requests in parallel on the VU's connections and waits
// for all of them. The responses come back in the order of the requests;
// a nil request answers with a failed response.
func Batch(reqs []*Req) []*Response {
	responses := make([]*Response, len(reqs))
	var wire []*outgoing
	var slots []int
	for i, r := range reqs {
		switch {
		case r == nil:
			responses[i] = notSent("", "the request is nil")
		case r.problem != "":
			responses[i] = notSent(r.URL, r.problem)
		default:
			wire = append(wire, r.wire())
			slots = append(slots, i)
		}
	}
	if len(wire) > 0 {
		received := host.batch(wire)
		for j, slot := range slots {
			if j < len(received) && received[j] != nil {
				responses[slot] = received[j]
			} else {
				responses[slot] = notSent(reqs[slot].URL, "the host returned no response for this request")
			}
		}
	}
	return responses
}

// wire turns the request into the contract's terms.
func (r *Req) wire() *outgoing {
	w := &outgoing{
		method:  r.Method,
		url:     r.URL,
		body:    r.Body,
		hasBody: r.Body != nil,
		name:    r.Name,
		hasName: r.Name != "",
		tags:    r.Tags.pairs(),
		discard: r.DiscardBody,
	}
	if len(r.Headers) > 0 {
		w.headers = make([]pair, len(r.Headers))
		for i, h := range r.Headers {
			w.headers[i] = pair{h.Name, h.Value}
		}
	}
	if r.Timeout > 0 {
		w.hasTimeout = true
		w.timeoutMS = timeoutMillis(r.Timeout)
	}
	return w
}

// timeoutMillis rounds d up to whole milliseconds, within a u32.
func timeoutMillis(d time.Duration) uint32 {
	if d > time.Duration(math.MaxUint32)*time.Millisecond {
		return math.MaxUint32
	}
	return uint32((d + time.Millisecond - 1) / time.Millisecond)
}

// Response is the answer to one request, or the reason there was none:
// when no response arrived, Status is 0, Proto is empty, and Error and
// ErrorCode say why. Either way the request counts in the metrics.
type Response struct {
	// Status is the HTTP status; 0 when no response arrived.
	Status int
	// URL is the URL of the last request, after redirects.
	URL string
	// Proto is HTTP/1.1 or HTTP/2.0, or empty when no response arrived.
	Proto string
	// Headers are the fields as received, in order; names may repeat.
	Headers []Header
	// Body is the body, up to the host's size cap; empty when the request
	// asked for [DiscardBody].
	Body []byte
	// Error says what went wrong, empty on success.
	Error string
	// ErrorCode is k6's error code: 1000 generic, 1020 invalid URL, 1050
	// timeout, 1100 DNS, 1200 TCP, 1211 dial timeout, 1212 refused, 1220
	// reset, 1300 TLS, 1600 HTTP/2; 1000 + status for a 4xx or 5xx
	// response; 0 otherwise.
	ErrorCode int
	// Timings are how long each phase took.
	Timings Timings
}

// Timings are the phases of one request, with k6's meanings.
type Timings struct {
	// Blocked is the time spent waiting for a free connection.
	Blocked time.Duration
	// Connecting is the time spent opening the TCP connection.
	Connecting time.Duration
	// TLSHandshaking is the time spent on the TLS handshake.
	TLSHandshaking time.Duration
	// Sending is the time spent writing the request.
	Sending time.Duration
	// Waiting is the time from the request sent to the first byte of the
	// response.
	Waiting time.Duration
	// Receiving is the time spent reading the response.
	Receiving time.Duration
	// Duration is Sending + Waiting + Receiving: what http_req_duration
	// records.
	Duration time.Duration
}

// errorCodeGeneric is k6's code for an error that fits no narrower class.
const errorCodeGeneric = 1000

// notSent is the failed response that stands for a request that never
// reached the host.
func notSent(url, problem string) *Response {
	return &Response{URL: url, Error: problem, ErrorCode: errorCodeGeneric}
}

// Text returns the body as a string.
func (r *Response) Text() string {
	return string(r.Body)
}

// JSON decodes the body as JSON into v, naming the URL if it does not
// decode.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("the body from %s is not the expected JSON: %w", r.URL, err)
	}
	return nil
}

// Header returns the first value of the header field name, matched
// ignoring case, or "" when there is none.
func (r *Response) Header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// HeaderValues returns every value of the header field name, in order,
// matched ignoring case.
func (r *Response) HeaderValues(name string) []string {
	var values []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			values = append(values, h.Value)
		}
	}
	return values
}

// IsSuccess reports whether the status is 2xx.
func (r *Response) IsSuccess() bool {
	return r.Status >= 200 && r.Status < 300
}

// IsTransportError reports whether no response arrived at all (status
// 0): the connection was refused or reset, the request timed out, or it
// was never sent.
func (r *Response) IsTransportError() bool {
	return r.Status == 0
}

// Err returns nil for a 2xx response, and otherwise an error naming the
// URL and the status or the transport error, as a way to give up on an
// iteration early:
//
//	if err := res.Err(); err != nil {
//		return err
//	}
func (r *Response) Err() error {
	switch {
	case r.IsSuccess():
		return nil
	case r.IsTransportError():
		return fmt.Errorf("request to %s failed: %s", r.URL, r.Error)
	default:
		return fmt.Errorf("%s answered with status %d", r.URL, r.Status)
	}
}
