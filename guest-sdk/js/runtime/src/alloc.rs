//! The component's allocator: the C library's until the snapshot, a
//! second heap after it.
//!
//! The snapshot's heap is full of holes that evaluating the scenario left
//! free. An allocator that fills them after the snapshot writes to pages
//! scattered over the whole image, and every VU then holds its own copy
//! of each. So once the engine has started, new blocks come from a second
//! heap above the snapshot's memory, where a VU's allocations are packed
//! into pages of its own; a block from before the snapshot is still freed
//! (or grown) by the heap it came from, told apart by its address.

#![allow(unsafe_code, reason = "a global allocator is unsafe by contract")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct SnapshotAllocator {
    /// Zero until the switch; then the end of the memory the first heap
    /// used, below which every block is the first heap's.
    boundary: AtomicUsize,
    second: UnsafeCell<dlmalloc::Dlmalloc>,
}

// SAFETY: a component instance has one thread; nothing is shared.
unsafe impl Sync for SnapshotAllocator {}

#[global_allocator]
static ALLOCATOR: SnapshotAllocator = SnapshotAllocator {
    boundary: AtomicUsize::new(0),
    second: UnsafeCell::new(dlmalloc::Dlmalloc::new()),
};

/// From now on, new blocks come from the second heap. Called once the
/// engine has started, just before the snapshot is taken.
pub fn switch_heaps() {
    let end = core::arch::wasm32::memory_size(0) * 65_536;
    ALLOCATOR.boundary.store(end, Ordering::Relaxed);
}

impl SnapshotAllocator {
    fn switched(&self) -> bool {
        self.boundary.load(Ordering::Relaxed) != 0
    }

    /// Whether `ptr` came from the first heap.
    fn first(&self, ptr: *mut u8) -> bool {
        (ptr as usize) < self.boundary.load(Ordering::Relaxed) || !self.switched()
    }

    #[allow(clippy::mut_from_ref, reason = "one thread, and no call re-enters")]
    fn second(&self) -> &mut dlmalloc::Dlmalloc {
        // SAFETY: one thread, and no allocator call re-enters another.
        unsafe { &mut *self.second.get() }
    }
}

unsafe impl GlobalAlloc for SnapshotAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.switched() {
            // SAFETY: the caller's layout contract is passed on.
            unsafe { self.second().malloc(layout.size(), layout.align()) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.switched() {
            // SAFETY: as above.
            unsafe { self.second().calloc(layout.size(), layout.align()) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.first(ptr) {
            // SAFETY: `ptr` came from `System` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        } else {
            // SAFETY: `ptr` came from the second heap with this layout.
            unsafe { self.second().free(ptr, layout.size(), layout.align()) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.first(ptr) {
            // SAFETY: `ptr` came from the second heap with this layout.
            return unsafe {
                self.second()
                    .realloc(ptr, layout.size(), layout.align(), new_size)
            };
        }
        if !self.switched() {
            // SAFETY: `ptr` came from `System` with this layout.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // A block from before the snapshot moves to the second heap.
        // SAFETY: `new_size` with the old alignment is a valid layout, as
        // `realloc`'s contract requires.
        let moved =
            unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !moved.is_null() {
            // SAFETY: both blocks are at least this long and do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                System.dealloc(ptr, layout);
            }
        }
        moved
    }
}
