//go:build wasip1

package barrage

// Linear-memory plumbing for the canonical ABI.
//
// The component's host reads and writes this module's memory directly:
// arguments too large for registers are records in memory, strings and
// lists are (address, length) pairs, and results that do not fit one
// register are written to a return area whose address the guest passes.
// Two rules keep Go's garbage collector and the host from stepping on each
// other:
//
//   - Memory whose address the guest hands to the host is pinned: held in
//     a package-level variable, so that it lives on the heap (never on a
//     goroutine stack, which may move) and stays reachable until the call
//     returns.
//   - Memory the host fills is allocated by cabi_realloc from the Go heap
//     and remembered in hostAllocs until the guest has turned the
//     addresses it got back into Go slices and strings. Go's heap does not
//     move, and those slices then keep the memory alive by themselves, so
//     bodies and strings are used in place, without a copy.
//
// Two more rules are about cabi_realloc itself, which the host calls while
// it lowers values into this module:
//
//   - While the host lowers, the component model forbids the guest to call
//     any import, and Go's collector does: it reads clocks and may switch
//     goroutines when a cycle starts or helps. So cabi_realloc pins the M
//     (runtime.procPin, which the runtime keeps for such uses), which holds
//     off starting or assisting a collection, and pauses the adapter's
//     monotonic clock, which a heap growth still reads: the adapter answers
//     from a cached value instead of calling the host.
//   - The preview 1 adapter takes its own stack and state through
//     cabi_realloc, once, on the first WASI call, which happens while Go's
//     runtime is still starting: those two pages come from a static arena.
//     An allocation made later in the same way (inside an export, outside
//     any call to the host) is the adapter's too, and is kept for good.

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// procPin and procUnpin hold off the collector's starts and assists; the
// runtime keeps them for linkname users and promises their signatures.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// adapter_monotonic_clock_set_paused is an export of the WASI preview 1
// adapter Barrage wraps modules with: while paused, the adapter answers
// clock reads with a cached time instead of calling the host.
//
//go:wasmimport wasi_snapshot_preview1 adapter_monotonic_clock_set_paused
func adapterMonotonicClockSetPaused(paused uint32)

// adapterStarting is set while a VU made from a build-time snapshot makes
// its first WASI call (reseed_snapshot.go).
var adapterStarting bool

// runtimeReady is set once the runtime and this package are initialised;
// before that cabi_realloc serves the adapter from earlyArena.
var runtimeReady bool

func init() {
	// Memory profiles are of no use in a VU, and sampling is work done
	// inside allocations, cabi_realloc's included.
	runtime.MemProfileRate = 0
	runtimeReady = true
}

// earlyArena holds what the adapter allocates before the runtime is up:
// its stack and its state, a 64 KiB page each.
var (
	earlyArena [2*65536/8 + 1]uint64
	earlyUsed  uintptr
)

// earlyAlloc is a bump allocator over earlyArena that touches nothing of
// the runtime. Running out traps: nothing better can be done that early.
func earlyAlloc(align, size uint32) uint32 {
	base := uintptr(unsafe.Pointer(&earlyArena[0]))
	a := uintptr(max(align, 1))
	start := (base + earlyUsed + a - 1) &^ (a - 1)
	end := start + uintptr(size)
	if end > base+unsafe.Sizeof(earlyArena) {
		panic("barrage: the early allocation arena is exhausted")
	}
	earlyUsed = end - base
	return uint32(start)
}

var le = binary.LittleEndian

// newBlock allocates size bytes of heap memory aligned to 8, the largest
// alignment the canonical ABI asks for.
func newBlock(size int) []byte {
	if size <= 0 {
		return nil
	}
	words := make([]uint64, (size+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), size)
}

// addrOfBytes is the linear-memory address of b's first byte, or 0 when b
// is empty.
func addrOfBytes(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// addrOfString is the linear-memory address of s's first byte, or 0 when
// s is empty.
func addrOfString(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s))))
}

// Memory handed to the host for the import call in progress.
var (
	pinnedStrings []string
	pinnedBytes   [][]byte
)

// pinString keeps s alive for the current import call and returns its
// address.
func pinString(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	pinnedStrings = append(pinnedStrings, s)
	return addrOfString(s)
}

// pinBytes keeps b alive for the current import call and returns its
// address.
func pinBytes(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	pinnedBytes = append(pinnedBytes, b)
	return addrOfBytes(b)
}

// inExport is set while an export runs, and inImport while it waits for
// an import of the contract: the host allocates in this module only then
// or between exports. Any other cabi_realloc comes from the adapter, and
// so does one made during another (inRealloc), through the clock pause.
var inExport, inImport, inRealloc bool

// permanent holds the adapter's allocations made after start-up.
var permanent [][]byte

// beginCall marks an import call whose arguments or results use memory.
func beginCall() { inImport = true }

// callDone forgets what was pinned for an import call and the host's
// allocations it answered with, once its results are decoded.
func callDone() {
	inImport = false
	clear(pinnedStrings)
	pinnedStrings = pinnedStrings[:0]
	clear(pinnedBytes)
	pinnedBytes = pinnedBytes[:0]
	clear(hostAllocs)
}

// retArea receives the results of an import call that returns through
// memory. Imports never nest, so one area serves them all; as a package
// variable it is in static memory and never moves.
var retArea [16]uint64

func retBytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&retArea[0])), len(retArea)*8)
}

// hostAllocs maps the address of each block cabi_realloc handed out to
// the block, until callDone.
var hostAllocs = map[uint32][]byte{}

// emptyBlock is what cabi_realloc returns for a request of zero bytes: an
// aligned address the host never writes through.
var emptyBlock [1]uint64

// cabiRealloc allocates memory for the host to write into: the strings
// and lists of an import's results and of an export's arguments.
//
//go:wasmexport cabi_realloc
func cabiRealloc(oldPtr, oldSize, align, newSize uint32) uint32 {
	if !runtimeReady {
		return earlyAlloc(align, newSize)
	}
	if newSize == 0 {
		return uint32(uintptr(unsafe.Pointer(&emptyBlock[0])))
	}
	if adapterStarting {
		// The adapter allocating its own stack and state, in a VU made
		// from a build-time snapshot: from earlyArena again, where the
		// snapshot's adapter had them (reseed_snapshot.go empties it), so
		// that the VU writes only the pages the adapter uses; and without
		// pausing its clock, which it cannot answer before it has a state.
		return earlyAlloc(align, newSize)
	}
	nested := inRealloc
	inRealloc = true
	procPin()
	if !nested {
		adapterMonotonicClockSetPaused(1)
	}
	// newBlock aligns to 8, the most the canonical ABI asks for.
	block := newBlock(int(newSize))
	if oldPtr != 0 {
		if old, ok := hostAllocs[oldPtr]; ok {
			copy(block, old[:min(int(oldSize), len(old))])
			delete(hostAllocs, oldPtr)
		}
	}
	addr := addrOfBytes(block)
	if nested || (inExport && !inImport) {
		permanent = append(permanent, block)
	} else {
		hostAllocs[addr] = block
	}
	if !nested {
		adapterMonotonicClockSetPaused(0)
	}
	procUnpin()
	inRealloc = nested
	return addr
}

// hostBytes turns an (address, length) pair the host wrote into a slice of
// the block cabi_realloc allocated for it. It panics when the host names
// memory it was not given, which would be a bug in the host or the SDK.
func hostBytes(ptr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	if block, ok := hostAllocs[ptr]; ok && uint32(len(block)) >= n {
		return block[:n:n]
	}
	for base, block := range hostAllocs {
		if ptr >= base && uint64(ptr-base)+uint64(n) <= uint64(len(block)) {
			off := ptr - base
			return block[off : off+n : off+n]
		}
	}
	panic(fmt.Sprintf("barrage: the host returned %d bytes at %#x, memory the guest never allocated", n, ptr))
}

// hostString is hostBytes as a string, sharing the memory.
func hostString(ptr, n uint32) string {
	b := hostBytes(ptr, n)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Readers and writers of little-endian values at an offset.

func put8(b []byte, off int, v uint8)    { b[off] = v }
func put32(b []byte, off int, v uint32)  { le.PutUint32(b[off:], v) }
func get8(b []byte, off int) uint8       { return b[off] }
func get16(b []byte, off int) uint16     { return le.Uint16(b[off:]) }
func get32(b []byte, off int) uint32     { return le.Uint32(b[off:]) }
func get64(b []byte, off int) uint64     { return le.Uint64(b[off:]) }
func getF64(b []byte, off int) float64   { return math.Float64frombits(get64(b, off)) }
func getString(b []byte, off int) string { return hostString(get32(b, off), get32(b, off+4)) }

// putString writes s as a (pointer, length) pair at off and pins it.
func putString(b []byte, off int, s string) {
	put32(b, off, pinString(s))
	put32(b, off+4, uint32(len(s)))
}

func boolWord(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// Size of one tuple<string, string> in a list: two (pointer, length) pairs.
const pairSize = 16

// lowerPairs writes a list<tuple<string, string>> and returns its
// (pointer, length), pinned.
func lowerPairs(pairs []pair) (uint32, uint32) {
	if len(pairs) == 0 {
		return 0, 0
	}
	b := newBlock(len(pairs) * pairSize)
	for i, p := range pairs {
		putString(b, i*pairSize, p.name)
		putString(b, i*pairSize+8, p.value)
	}
	return pinBytes(b), uint32(len(pairs))
}

// liftHeaders reads a list<tuple<string, string>> the host wrote.
func liftHeaders(ptr, n uint32) []Header {
	if n == 0 {
		return nil
	}
	b := hostBytes(ptr, n*pairSize)
	headers := make([]Header, n)
	for i := range headers {
		headers[i] = Header{
			Name:  getString(b, i*pairSize),
			Value: getString(b, i*pairSize+8),
		}
	}
	return headers
}
