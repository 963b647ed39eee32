//! Fiber stacks as plain anonymous mappings.
//!
//! Every VU that is inside a guest call owns a fiber stack. Wasmtime's own
//! stacks carry a guard page, which splits each into two kernel mappings;
//! at 50k VUs that alone would pass the kernel's 65,530-mapping limit.
//! These stacks have no guard: guest code cannot overflow them, because
//! Wasmtime checks the guest's depth against `max_wasm_stack`, and the
//! host code polled on them (HTTP, sleeps) is shallow next to the half a
//! megabyte left to it. Untouched pages cost no memory.
//!
//! Touched pages do, and a store keeps its stack for its whole life: a
//! language runtime's deep or wide frames (Go's, CPython's, SpiderMonkey's)
//! leave hundreds of KiB resident in every VU long after the call that
//! needed them returned. A VU that goes to sleep mid-iteration gives the
//! dead part of its stack, everything below the sleeping frame, back to
//! the kernel ([`release_unused`]); the next deep call faults in fresh
//! zeroed pages.
#![allow(
    unsafe_code,
    reason = "implementing Wasmtime's stack traits needs raw memory"
)]

use std::collections::BTreeMap;
use std::ops::Range;
use std::ptr;
use std::sync::Mutex;

use rustix::mm::{Advice, MapFlags, ProtFlags, madvise, mmap_anonymous, munmap};
use wasmtime::{StackCreator, StackMemory};

#[derive(Debug)]
pub struct MappedStacks;

/// The live stacks, base address to size: how [`release_unused`] knows
/// that the frame it runs in is on one of them.
static MAPPED: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

fn mapped() -> std::sync::MutexGuard<'static, BTreeMap<usize, usize>> {
    MAPPED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Room kept below the caller's frame for the frames that run while the
/// pages are given back (the system call itself): far more than they need.
const MARGIN: usize = 16 << 10;
const PAGE: usize = 4096;

/// Gives the kernel back the pages of the current fiber stack that lie
/// below the caller's frame, and so hold nothing live.
///
/// A stack grows down: every frame below the current one belongs to a
/// call that has returned. Called from a host function about to wait (a
/// guest's sleep), so the VU waits holding only the stack its live frames
/// use. Does nothing when the caller is not on one of these stacks.
#[inline(never)]
pub fn release_unused() {
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let base = {
        let stacks = mapped();
        match stacks.range(..=here).next_back() {
            Some((&base, &size)) if here < base + size => base,
            _ => return,
        }
    };
    let end = here.saturating_sub(MARGIN) & !(PAGE - 1);
    if end > base {
        // SAFETY: `[base, end)` is part of a stack mapped by `new_stack`
        // and lies below the frame running now, which is this thread's
        // deepest live frame but for the few the call below pushes, all
        // within `MARGIN`; nothing there is read before it is written
        // again, and a private anonymous page given back reads as zeros.
        let _ = unsafe { madvise(base as *mut _, end - base, Advice::LinuxDontNeed) };
    }
}

// SAFETY: each stack is a fresh private mapping of `size` bytes, page
// aligned (mmap returns page-aligned addresses and Wasmtime asks for
// page-multiple sizes) and zero-filled by the kernel.
unsafe impl StackCreator for MappedStacks {
    fn new_stack(&self, size: usize, _zeroed: bool) -> wasmtime::Result<Box<dyn StackMemory>> {
        // SAFETY: an anonymous mapping at an address of the kernel's choice
        // aliases no other memory.
        let base = unsafe {
            mmap_anonymous(
                ptr::null_mut(),
                size,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }
        .map_err(|e| wasmtime::format_err!("cannot map a {size}-byte VU stack: {e}"))?;
        mapped().insert(base as usize, size);
        Ok(Box::new(MappedStack {
            base: base.cast(),
            size,
        }))
    }
}

struct MappedStack {
    base: *mut u8,
    size: usize,
}

// SAFETY: the mapping is owned by this value alone; Wasmtime uses it from
// one fiber at a time.
unsafe impl Send for MappedStack {}
// SAFETY: as above; `&MappedStack` only reads the address and size.
unsafe impl Sync for MappedStack {}

// SAFETY: `top` and `range` describe exactly the mapping made above.
unsafe impl StackMemory for MappedStack {
    fn top(&self) -> *mut u8 {
        self.base.wrapping_add(self.size)
    }

    fn range(&self) -> Range<usize> {
        let base = self.base as usize;
        base..base + self.size
    }

    fn guard_range(&self) -> Range<*mut u8> {
        self.base..self.base
    }
}

impl Drop for MappedStack {
    fn drop(&mut self) {
        mapped().remove(&(self.base as usize));
        // SAFETY: the mapping was made by `new_stack` with this size and is
        // no longer in use once Wasmtime drops the stack.
        let _ = unsafe { munmap(self.base.cast(), self.size) };
    }
}

/// How much of the live stacks is resident, for the measurements.
#[cfg(test)]
pub mod measure {
    use std::io::{Read, Seek, SeekFrom};

    /// KiB of the live stacks' pages that are resident, from
    /// `/proc/self/pagemap` (bit 63 of each page's entry).
    pub fn resident_kib() -> u64 {
        let Ok(mut map) = std::fs::File::open("/proc/self/pagemap") else {
            return 0;
        };
        let stacks = super::mapped().clone();
        let mut pages = 0;
        for (base, size) in stacks {
            let mut entries = vec![0u8; size / 4096 * 8];
            if map.seek(SeekFrom::Start((base / 4096 * 8) as u64)).is_err()
                || map.read_exact(&mut entries).is_err()
            {
                continue;
            }
            pages += entries.chunks_exact(8).filter(|e| e[7] & 0x80 != 0).count() as u64;
        }
        pages * 4
    }
}
