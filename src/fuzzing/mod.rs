//! Hostile-input fuzzing on the stable toolchain: one entry point per parser, and a small
//! corpus-driven mutation engine to drive them.
//!
//! cargo-fuzz needs nightly, so there is no coverage instrumentation here. The engine makes up
//! for it with structure: every target brings a dictionary (keys, tags, markers) and, for the
//! cty codecs, a generator of well-formed values of the schema types; and a target reports a
//! cheap "shape" of what it saw (an error's wording without its data, which fields decoded), so
//! inputs that reach new behaviour join the pool that later mutations start from.
//!
//! A target must return normally on every input: errors are fine, panics (including failed
//! invariant checks), hangs, stack overflows and huge allocations are bugs. `tests/fuzz_smoke.rs`
//! runs every target over the committed corpus (`tests/fuzz/corpus/<target>/`) plus a short
//! burst of mutations; `scripts/fuzz.sh` runs them for longer in release mode.

mod codecs;
mod engine;
mod generate;
mod mutate;
mod responses;
mod shape;

pub use codecs::{
    json_text, json_types, msgpack_schemas, msgpack_types, number_text, private_state,
    state_upgrade, type_json,
};
pub use engine::{run, AllocProbe, Config, Crash, Report};
pub use responses::{
    cloudbasic_json, cloudbasic_xml, css_responses, error_message, instaclustr_responses,
    redis_responses,
};

/// One parser under test.
#[derive(Clone, Copy)]
pub struct Target {
    /// Also the name of its corpus directory.
    pub name: &'static str,
    /// Runs the parser (and cheap invariant checks) on one input, noting the shape of what
    /// each part of it did.
    pub run: fn(&[u8], &mut Features),
    /// Byte strings worth splicing into inputs.
    pub dictionary: &'static [&'static [u8]],
    /// Builds a fresh well-formed input, for targets whose inputs random mutation rarely gets
    /// right (typed msgpack and JSON values).
    pub generate: Option<fn(&mut fastrand::Rng) -> Vec<u8>>,
}

/// What one input made a target do: a shape per part (each type a value is decoded against,
/// each document an answer is read as). An input that makes some part do something new joins
/// the pool; a single hash of the whole would make nearly every input look new.
#[derive(Debug, Default)]
pub struct Features(Vec<u64>);

impl Features {
    pub fn add(&mut self, part: u64, shape: u64) {
        self.0.push(shape::mix(part.wrapping_add(1), shape));
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().copied()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Every target, in a stable order.
pub fn targets() -> Vec<Target> {
    let mut all = codecs::targets();
    all.extend(responses::targets());
    all
}

pub fn target(name: &str) -> Option<Target> {
    targets().into_iter().find(|t| t.name == name)
}
