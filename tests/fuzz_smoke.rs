//! Every fuzz target (`clusterform::fuzzing`) over its committed corpus
//! (`tests/fuzz/corpus/<target>/`), then a short burst of mutations; plus deep-nesting inputs
//! that must be refused, not overflow the stack.
//!
//! Deterministic by default (fixed seed). `CLUSTERFORM_FUZZ_SECONDS` sets the mutation time per
//! target (default 2 s), `CLUSTERFORM_FUZZ_SEED` the seed; `scripts/fuzz.sh` runs long. A crash
//! fails the test and leaves its (minimised) input in `<target dir>/fuzz-crashes/<target>/`:
//! fix the parser and add the input to the corpus.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use clusterform::framework::{json, msgpack, Type};
use clusterform::fuzzing::{self, AllocProbe, Config, Features};

// ---------------------------------------------------------------------------------------------
// Allocation accounting, per thread (the targets run on the test threads, several at once).

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static BASE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed to the system allocator unchanged; the bookkeeping touches only
// const-initialised thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn reset_peak() {
    let live = LIVE.with(Cell::get);
    BASE.with(|b| b.set(live));
    PEAK.with(|p| p.set(live));
}

fn read_peak() -> usize {
    let base = BASE.with(Cell::get);
    usize::try_from(PEAK.with(Cell::get) - base).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target"))
}

fn corpus_dir(target: &str) -> PathBuf {
    manifest_dir().join("tests/fuzz/corpus").join(target)
}

/// The seeds, sorted by file name so a run is the same everywhere.
fn corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("no corpus at {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn fuzz(name: &str) {
    let target = fuzzing::target(name).unwrap_or_else(|| panic!("no fuzz target {name}"));
    let seeds = corpus(&corpus_dir(name));
    assert!(!seeds.is_empty(), "the {name} corpus is empty");
    let mut config = Config::from_env(name, &target_dir(), 2.0);
    config.alloc = Some(AllocProbe {
        reset: reset_peak,
        peak: read_peak,
    });
    let report = fuzzing::run(&target, &seeds, &config);
    println!("{report}");
    println!("  seed {:#x}", report.seed);
    if report.crashes.is_empty() {
        return;
    }
    for crash in &report.crashes {
        eprintln!(
            "CRASH in {name}: {}\n  input ({} bytes, saved as {:?}): {:?}",
            crash.message,
            crash.input.len(),
            crash.saved,
            String::from_utf8_lossy(&crash.input[..crash.input.len().min(400)]),
        );
    }
    panic!(
        "{} crash(es) in {name}; inputs in {}",
        report.crashes.len(),
        config.crash_dir.display()
    );
}

macro_rules! fuzz_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                fuzz(stringify!($name));
            }
        )*

        #[test]
        fn every_target_has_a_test_and_a_corpus() {
            let tested = [$(stringify!($name)),*];
            for target in fuzzing::targets() {
                assert!(tested.contains(&target.name), "no smoke test for {}", target.name);
            }
            for name in tested {
                assert!(corpus_dir(name).is_dir(), "no corpus for {name}");
            }
        }
    };
}

fuzz_tests!(
    msgpack_types,
    msgpack_schemas,
    json_types,
    json_text,
    state_upgrade,
    type_json,
    number_text,
    private_state,
    error_message,
    instaclustr_responses,
    css_responses,
    redis_responses,
    cloudbasic_json,
    cloudbasic_xml,
);

// ---------------------------------------------------------------------------------------------
// Deep nesting: each must be refused (or read) without exhausting the stack of a test thread.

const DEPTH: usize = 100_000;

/// `[["list","dynamic"], [["list","dynamic"], [...]]]` in msgpack: every level is a dynamic
/// value holding a list of dynamic values, so the type allows any depth.
fn nested_dynamic_msgpack(depth: usize) -> Vec<u8> {
    let ty = br#"["list","dynamic"]"#;
    let mut out = Vec::with_capacity(depth * (ty.len() + 4) + 1);
    for _ in 0..depth {
        out.extend_from_slice(&[0x92, 0xc4, ty.len() as u8]);
        out.extend_from_slice(ty);
        out.push(0x91);
    }
    out.push(0xc0);
    out
}

#[test]
fn deeply_nested_msgpack_is_refused() {
    let bytes = nested_dynamic_msgpack(DEPTH);
    let err = msgpack::decode(&bytes, &Type::Dynamic).unwrap_err();
    assert!(err.to_string().contains("nested"), "{err}");
    // Shallow nesting is fine.
    let shallow = nested_dynamic_msgpack(20);
    let value = msgpack::decode(&shallow, &Type::Dynamic).unwrap();
    assert_eq!(msgpack::encode(&value, &Type::Dynamic).unwrap(), shallow);
    // 100k nested arrays (and maps) against every target.
    for chunk in [&[0x91u8][..], &[0x81, 0xa1, 0x61], &[0xdc, 0x00, 0x01]] {
        let deep: Vec<u8> = chunk
            .iter()
            .copied()
            .cycle()
            .take(chunk.len() * DEPTH)
            .collect();
        for target in fuzzing::targets() {
            (target.run)(&deep, &mut Features::default());
        }
    }
}

#[test]
fn deeply_nested_json_is_refused() {
    let ty = Type::list(Type::Dynamic);
    for (open, close) in [
        ("[", "]"),
        ("{\"a\":", "}"),
        ("{\"value\":", ",\"type\":\"x\"}"),
    ] {
        let deep = open.repeat(DEPTH) + "1" + &close.repeat(DEPTH);
        assert!(json::decode(deep.as_bytes(), &ty).is_err());
        for target in fuzzing::targets() {
            (target.run)(deep.as_bytes(), &mut Features::default());
        }
    }
    // Dynamic values nested as deep as the document may be: two JSON levels each.
    let level = r#"{"type":["list","dynamic"],"value":["#;
    let deepest = level.repeat(127) + "null" + &"]}".repeat(127);
    let value = json::decode(deepest.as_bytes(), &Type::Dynamic).unwrap();
    let text = json::encode(&value, &Type::Dynamic).unwrap();
    assert_eq!(json::decode(&text, &Type::Dynamic).unwrap(), value);
    // A dynamic value whose type is nested deep, within the document's depth limit.
    let deep_type = "[\"list\",".repeat(200) + "\"string\"" + &"]".repeat(200);
    let doc = format!("{{\"value\":null,\"type\":{deep_type}}}");
    let _ = json::decode(doc.as_bytes(), &Type::Dynamic);
}

#[test]
fn deeply_nested_xml_is_read() {
    let deep = "<a>".repeat(DEPTH) + "<Message>deep</Message>" + &"</a>".repeat(DEPTH);
    for target in fuzzing::targets() {
        (target.run)(deep.as_bytes(), &mut Features::default());
    }
    let answer = clusterform::vendors::cloudbasic::body::read_answer(deep.as_bytes(), None);
    assert_eq!(answer.problems[0].message, "deep");
}

#[test]
fn huge_allocations_are_crashes() {
    let target = fuzzing::Target {
        name: "greedy",
        run: |data, out| {
            // A forged length: room for a count that the input only claims.
            let claimed = if data.first() == Some(&0xff) {
                100 << 20
            } else {
                16
            };
            let buffer = vec![0u8; claimed];
            out.add(0, buffer.len() as u64);
        },
        dictionary: &[b"\xff"],
        generate: None,
    };
    let mut config = Config::from_env(
        "greedy",
        &std::env::temp_dir().join("clusterform-fuzz"),
        0.0,
    );
    config.alloc = Some(AllocProbe {
        reset: reset_peak,
        peak: read_peak,
    });
    config.budget = std::time::Duration::ZERO;
    let report = fuzzing::run(&target, &[b"\x00".to_vec(), b"\xff".to_vec()], &config);
    assert_eq!(report.crashes.len(), 1, "{report}");
    assert!(report.crashes[0].message.starts_with("huge allocation"));
    assert_eq!(report.crashes[0].input, b"\xff");
    let _ = std::fs::remove_dir_all(&config.crash_dir);
}
