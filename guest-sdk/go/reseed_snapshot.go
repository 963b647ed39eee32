//go:build wasip1 && barrage_snapshot

package barrage

import (
	"crypto/rand"
	"unsafe"
)

// `barrage build` pre-initializes a Go scenario: the component's memory
// image is the runtime as it stands after starting, so a VU costs only the
// pages it writes afterwards. Every VU then starts from the same random
// state too: the runtime seeds its generator (behind math/rand, math/rand/v2
// and map seeds) once, at start. reseedRuntime gives it fresh entropy, once
// per VU, before the scenario's own code runs, as a start of the program
// would.
//
// That means writing the runtime's private state, so this file is built
// only for the Go versions `barrage build` snapshots for (the build tag
// and -ldflags=-checklinkname=0 come with the snapshot), and it checks the
// layout it expects before it writes:
//
//	runtime.globalRand: {lock mutex (8 bytes on wasm); seed [32]byte;
//	                     state chacha8rand.State (304 bytes); init bool}

//go:linkname runtimeGlobalRand runtime.globalRand
var runtimeGlobalRand [348]byte

//go:linkname chacha8Init internal/chacha8rand.(*State).Init
func chacha8Init(state unsafe.Pointer, seed [32]byte)

//go:linkname runtimeGetm runtime.getm
func runtimeGetm() uintptr

//go:linkname runtimeMrandinit runtime.mrandinit
func runtimeMrandinit(mp uintptr)

const (
	globalRandState = 40
	globalRandInit  = 344
)

// Set once the VU's runtime has its own seed; false in the snapshot,
// which is taken in the `options` export, before any of this runs.
var reseeded bool

func reseedRuntime() {
	if reseeded {
		return
	}
	reseeded = true
	// Unlocked, and initialized: the layout is the expected one.
	if *(*uintptr)(unsafe.Pointer(&runtimeGlobalRand)) != 0 || runtimeGlobalRand[globalRandInit] != 1 {
		return
	}
	// The adapter of this instance has not run yet (the snapshot's was put
	// back as built): its first call allocates its stack and state, which
	// cabi_realloc must serve without calling back into it.
	adapterStarting = true
	earlyUsed = 0
	var seed [32]byte
	_, err := rand.Read(seed[:])
	adapterStarting = false
	if err != nil {
		return
	}
	chacha8Init(unsafe.Pointer(&runtimeGlobalRand[globalRandState]), seed)
	runtimeMrandinit(runtimeGetm())
}
