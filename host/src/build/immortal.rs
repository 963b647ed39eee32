//! Python: the objects of a component's heap image made immortal.
//!
//! componentize-py runs the scenario's module at build time and makes the
//! memory it leaves the component's image; each VU maps that image
//! copy-on-write and pays for every page it writes. CPython writes to an
//! object each time it takes or drops a reference to it (the count is the
//! object's first word), so a VU that only reads the snapshot's functions,
//! modules and strings still writes hundreds of their pages. Objects whose
//! count is at least 2^30 are immortal in a 32-bit CPython 3.14: it never
//! changes their count, and never frees them.
//!
//! The SDK lists every object alive at the end of the build's run and
//! keeps them all alive (`guest-sdk/python/barrage/_snapshot.py`); here
//! each listed object gets the immortal count, in place in the image's
//! data segments. A list that cannot be read, from another CPython, or an
//! address that does not hold what an object starts with is left alone:
//! the scenario then runs as built, each VU paying for what it writes.

use std::ops::Range;

use wasmparser::{Encoding, Parser, Payload};

/// The list's tag, as the SDK writes it.
const TAG: &[u8; 16] = b"BARRAGE-IMMORTAL";
/// The CPython version the list is for, and whose layout is known here.
const CPYTHON_3_14: u32 = 0x030E;
/// CPython 3.14's first count of an immortal object on 32-bit platforms
/// (`_Py_IMMORTAL_INITIAL_REFCNT`); any count from 2^30 up is immortal.
const IMMORTAL: u32 = 5 << 28;
const IMMORTAL_MINIMUM: u32 = 1 << 30;

/// What [`immortalize`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Immortalized {
    /// Objects given the immortal count.
    pub objects: usize,
    /// Listed addresses left alone: already immortal, or not an object
    /// the image holds.
    pub skipped: usize,
}

/// Gives every object the SDK listed in `component`'s memory image the
/// immortal count; `None` when there is no list this build can use.
pub fn immortalize(component: &mut [u8]) -> Option<Immortalized> {
    let modules = data_segments(component).ok()?;
    for segments in modules {
        let image = flatten(component, &segments);
        let Some(at) = find_once(&image, TAG) else {
            continue;
        };
        let word = |i: usize| read_u32(&image, i);
        if word(at + 16)? != CPYTHON_3_14 {
            return None;
        }
        let count = word(at + 20)? as usize;
        // A list cut short changes nothing, rather than half the objects.
        let end = count.checked_mul(4)?.checked_add(at + 24)?;
        if end > image.len() {
            return None;
        }
        let mut done = Immortalized {
            objects: 0,
            skipped: 0,
        };
        for i in 0..count {
            let address = word(at + 24 + 4 * i)? as usize;
            let count = word(address);
            let kind = address.checked_add(4).and_then(word);
            let looks_alive = matches!((count, kind), (Some(c), Some(t))
                if c > 0 && c < IMMORTAL_MINIMUM && t != 0 && (t as usize) < image.len());
            match file_offset(&segments, address) {
                Some(offset) if looks_alive => {
                    component[offset..offset + 4].copy_from_slice(&IMMORTAL.to_le_bytes());
                    done.objects += 1;
                }
                _ => done.skipped += 1,
            }
        }
        return Some(done);
    }
    None
}

/// One active data segment: where it goes in memory, and where its bytes
/// are in the component.
#[derive(Debug, Clone)]
struct Segment {
    address: usize,
    bytes: Range<usize>,
}

/// Each core module's active segments at constant offsets in its first
/// memory, by address.
fn data_segments(component: &[u8]) -> wasmparser::Result<Vec<Vec<Segment>>> {
    let base = component.as_ptr() as usize;
    let mut modules: Vec<Vec<Segment>> = Vec::new();
    for payload in Parser::new(0).parse_all(component) {
        match payload? {
            // Each core module, the component's or a module on its own,
            // starts with its header.
            Payload::Version {
                encoding: Encoding::Module,
                ..
            } => modules.push(Vec::new()),
            Payload::DataSection(reader) => {
                let Some(segments) = modules.last_mut() else {
                    continue;
                };
                for data in reader {
                    let data = data?;
                    let Some(address) = super::componentize::constant_address(&data.kind) else {
                        continue;
                    };
                    let start = data.data.as_ptr() as usize - base;
                    segments.push(Segment {
                        address: address as usize,
                        bytes: start..start + data.data.len(),
                    });
                }
            }
            _ => {}
        }
    }
    for segments in &mut modules {
        segments.sort_by_key(|s| s.address);
    }
    Ok(modules)
}

/// The memory the segments make, from address 0 to the end of the last.
fn flatten(component: &[u8], segments: &[Segment]) -> Vec<u8> {
    let end = segments
        .iter()
        .map(|s| s.address + s.bytes.len())
        .max()
        .unwrap_or(0);
    let mut image = vec![0; end];
    for s in segments {
        image[s.address..s.address + s.bytes.len()].copy_from_slice(&component[s.bytes.clone()]);
    }
    image
}

/// Where the four bytes at `address` are in the component, when one
/// segment holds all four.
fn file_offset(segments: &[Segment], address: usize) -> Option<usize> {
    let i = segments
        .partition_point(|s| s.address <= address)
        .checked_sub(1)?;
    let s = &segments[i];
    let within = address - s.address;
    (within + 4 <= s.bytes.len()).then_some(s.bytes.start + within)
}

/// The one place `needle` occurs in `haystack`; `None` if it occurs
/// nowhere or more than once.
fn find_once(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut found = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| w == &needle)
        .map(|(i, _)| i);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn read_u32(image: &[u8], at: usize) -> Option<u32> {
    let bytes = image.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        Component, ConstExpr, DataSection, MemorySection, MemoryType, Module, ModuleSection,
    };

    /// A heap as the SDK leaves it: objects at 0x1000 (count 3), 0x1010
    /// (already immortal) and 0x1020 (count 0: not an object), and the
    /// list, at 0x3000, naming those and an address past the image.
    fn heap(version: u32) -> Vec<(u32, Vec<u8>)> {
        let words = |w: &[u32]| w.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        let mut list = TAG.to_vec();
        list.extend(words(&[version, 4, 0x1000, 0x1010, 0x1020, 0x9000]));
        vec![
            (
                0x1000,
                words(&[3, 0x2000, 0, 0, IMMORTAL, 0x2000, 0, 0, 0, 0x2000]),
            ),
            (0x2000, words(&[1, 0x2000])),
            (0x3000, list),
        ]
    }

    fn module(segments: &[(u32, Vec<u8>)]) -> Module {
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut data = DataSection::new();
        for (address, bytes) in segments {
            data.active(
                0,
                &ConstExpr::i32_const(*address as i32),
                bytes.iter().copied(),
            );
        }
        let mut module = Module::new();
        module.section(&memories).section(&data);
        module
    }

    fn component(segments: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut component = Component::new();
        component.section(&ModuleSection(&module(&[])));
        component.section(&ModuleSection(&module(segments)));
        component.finish()
    }

    /// The first word at `address` in the image `bytes` makes.
    fn count_at(bytes: &[u8], address: usize) -> u32 {
        let segments = data_segments(bytes).unwrap().pop().unwrap();
        let image = flatten(bytes, &segments);
        read_u32(&image, address).unwrap()
    }

    #[test]
    fn listed_objects_get_the_immortal_count_and_the_rest_is_left_alone() {
        let mut bytes = component(&heap(CPYTHON_3_14));
        let before = bytes.clone();
        let done = immortalize(&mut bytes);
        assert_eq!(
            done,
            Some(Immortalized {
                objects: 1,
                skipped: 3
            })
        );
        assert_eq!(count_at(&bytes, 0x1000), IMMORTAL);
        assert_eq!(count_at(&bytes, 0x1010), IMMORTAL);
        assert_eq!(count_at(&bytes, 0x1020), 0);
        assert_eq!(
            count_at(&bytes, 0x2000),
            1,
            "an object not listed keeps its count"
        );
        // Only the one count changed, in place.
        let changed = bytes.iter().zip(&before).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 2, "3 → 0x50000000 changes two bytes");
        wasmparser::validate(&bytes).unwrap();
    }

    #[test]
    fn a_list_for_another_cpython_changes_nothing() {
        let mut bytes = component(&heap(0x030D));
        let before = bytes.clone();
        assert_eq!(immortalize(&mut bytes), None);
        assert_eq!(bytes, before);
    }

    #[test]
    fn no_list_or_two_lists_change_nothing() {
        let mut bare = component(&heap(CPYTHON_3_14)[..2]);
        let before = bare.clone();
        assert_eq!(immortalize(&mut bare), None);
        assert_eq!(bare, before);

        let mut twice = heap(CPYTHON_3_14);
        let list = twice[2].1.clone();
        twice.push((0x4000, list));
        let mut bytes = component(&twice);
        assert_eq!(immortalize(&mut bytes), None);
    }

    #[test]
    fn a_list_cut_short_changes_nothing() {
        let mut segments = heap(CPYTHON_3_14);
        segments[2].1[20..24].copy_from_slice(&1000u32.to_le_bytes());
        let mut bytes = component(&segments);
        let before = bytes.clone();
        assert_eq!(immortalize(&mut bytes), None);
        assert_eq!(bytes, before);
    }

    #[test]
    fn a_core_module_on_its_own_is_read_too() {
        let mut bytes = module(&heap(CPYTHON_3_14)).finish();
        assert!(immortalize(&mut bytes).is_some());
        assert_eq!(count_at(&bytes, 0x1000), IMMORTAL);
    }
}
