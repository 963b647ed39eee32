//go:build wasip1

package barrage

// The contract's exports, lifted by hand.
//
// The host passes each string argument as (pointer, length) into memory it
// got from cabi_realloc. Every export here returns a value that flattens
// to more than one core value, so it returns the address of a return area
// holding it; the host reads that area, and the strings it points to,
// right after the call. Both stay alive until the next export call
// replaces them.

import "unsafe"

// exportArea holds the result of the latest export call: at most a
// result tag and two (pointer, length) pairs. It is static memory.
var exportArea [4]uint32

// What exportArea points to, kept until the next export call.
var (
	resultStrings []string
	resultBytes   [][]byte
)

// beginExport drops the previous call's results and the host's
// allocations for this call's arguments, which the caller has already
// turned into Go values.
func beginExport() []byte {
	clear(resultStrings)
	resultStrings = resultStrings[:0]
	clear(resultBytes)
	resultBytes = resultBytes[:0]
	callDone()
	inExport = true
	ret := unsafe.Slice((*byte)(unsafe.Pointer(&exportArea[0])), len(exportArea)*4)
	clear(ret)
	return ret
}

// endExport marks the export as returned: from now until the next one,
// cabi_realloc serves the host's lowering of arguments.
func endExport() { inExport = false }

// keepString keeps s for the host to read after the call and returns its
// address.
func keepString(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	resultStrings = append(resultStrings, s)
	return addrOfString(s)
}

// putResultString writes s as a (pointer, length) pair at off, kept.
func putResultString(b []byte, off int, s string) {
	put32(b, off, keepString(s))
	put32(b, off+4, uint32(len(s)))
}

// returnUnit answers a result<_, string>.
func returnUnit(ret []byte, err error) uint32 {
	if err != nil {
		put8(ret, 0, 1)
		putResultString(ret, 4, err.Error())
	}
	return addrOfBytes(ret)
}

// options: func() -> string
//
//go:wasmexport options
func exportOptions() uint32 {
	ret := beginExport()
	defer endExport()
	putResultString(ret, 0, runOptions())
	return addrOfBytes(ret)
}

// setup: func() -> result<string, string>
//
//go:wasmexport setup
func exportSetup() uint32 {
	ret := beginExport()
	reseedRuntime()
	defer endExport()
	data, err := runSetup()
	if err != nil {
		put8(ret, 0, 1)
		putResultString(ret, 4, err.Error())
	} else {
		putResultString(ret, 4, data)
	}
	return addrOfBytes(ret)
}

// init: func(setup-data: string) -> result<_, string>
//
//go:wasmexport init
func exportInit(dataPtr, dataLen uint32) uint32 {
	data := hostString(dataPtr, dataLen)
	ret := beginExport()
	reseedRuntime()
	defer endExport()
	return returnUnit(ret, runInit(data))
}

// iteration: func(exec: string) -> result<_, string>
//
//go:wasmexport iteration
func exportIteration(execPtr, execLen uint32) uint32 {
	exec := hostString(execPtr, execLen)
	ret := beginExport()
	reseedRuntime()
	defer endExport()
	return returnUnit(ret, runIteration(exec))
}

// teardown: func(setup-data: string) -> result<_, string>
//
//go:wasmexport teardown
func exportTeardown(dataPtr, dataLen uint32) uint32 {
	data := hostString(dataPtr, dataLen)
	ret := beginExport()
	reseedRuntime()
	defer endExport()
	return returnUnit(ret, runTeardown(data))
}

// handle-summary: func(summary: string) -> result<summary-output, string>
//
// summary-output is { builtin: bool, files: list<tuple<string, string>> }:
// in the ok case the bool is at 4 and the list at 8.
//
//go:wasmexport handle-summary
func exportHandleSummary(summaryPtr, summaryLen uint32) uint32 {
	summary := hostBytes(summaryPtr, summaryLen)
	ret := beginExport()
	reseedRuntime()
	defer endExport()
	out, err := runHandleSummary(summary)
	if err != nil {
		put8(ret, 0, 1)
		putResultString(ret, 4, err.Error())
		return addrOfBytes(ret)
	}
	put8(ret, 4, uint8(boolWord(out.builtin)))
	if n := len(out.files); n > 0 {
		list := newBlock(n * pairSize)
		for i, f := range out.files {
			putResultString(list, i*pairSize, f.name)
			putResultString(list, i*pairSize+8, f.value)
		}
		resultBytes = append(resultBytes, list)
		put32(ret, 8, addrOfBytes(list))
		put32(ret, 12, uint32(n))
	}
	return addrOfBytes(ret)
}
