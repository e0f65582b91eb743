//! The mutation loop: every seed first, then mutated and generated inputs until the budget is
//! spent, with crashes caught, minimised and written to disk.
//!
//! What counts as a crash, and how each is caught:
//! - a panic (a parser bug or a failed invariant check): `catch_unwind`, the input is
//!   minimised and saved as `crash-<hash>` beside a `.txt` holding the message;
//! - a huge allocation: the test binary's counting allocator ([`AllocProbe`]) reports the peak
//!   of each input, compared with a limit proportional to the input's size;
//! - a hang: a watchdog thread saves the input that has run for `hang_after` as `hang-<hash>`
//!   and aborts the process;
//! - a stack overflow or an allocation the system refuses abort the process before anything
//!   can be saved. The run is deterministic for a seed, so running it again with
//!   `trace` on (every input is written to `in-flight` before it runs) leaves the culprit.

use std::collections::HashSet;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use fastrand::Rng;

use super::mutate::{mutate, tokens_of};
use super::shape;
use super::{Features, Target};

/// How long and how hard to fuzz one target.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Wall-clock time for mutations, after every seed has run once.
    pub budget: Duration,
    /// Stops earlier after this many inputs in all (seeds included).
    pub max_executions: Option<u64>,
    pub max_len: usize,
    /// Where crashing inputs go: `<target dir>/fuzz-crashes/<target>`.
    pub crash_dir: PathBuf,
    /// An input running this long is a hang.
    pub hang_after: Duration,
    /// Writes every input to `<crash_dir>/in-flight` before running it (slow; for finding the
    /// input behind an abort).
    pub trace: bool,
    pub alloc: Option<AllocProbe>,
    /// Distinct crashes to collect before giving up on a target.
    pub max_crashes: usize,
}

impl Config {
    /// The defaults, overridden by `CLUSTERFORM_FUZZ_SECONDS` (per target),
    /// `CLUSTERFORM_FUZZ_SEED`, `CLUSTERFORM_FUZZ_ITERATIONS`, `CLUSTERFORM_FUZZ_MAX_LEN`,
    /// `CLUSTERFORM_FUZZ_HANG_SECS` and `CLUSTERFORM_FUZZ_TRACE=1`.
    pub fn from_env(target: &str, target_dir: &Path, default_seconds: f64) -> Config {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let number = |name: &str| var(name).and_then(|v| v.trim().parse::<f64>().ok());
        let seed = var("CLUSTERFORM_FUZZ_SEED")
            .and_then(|v| parse_seed(&v))
            .unwrap_or(0x5eed_c1f0);
        Config {
            seed,
            budget: Duration::from_secs_f64(
                number("CLUSTERFORM_FUZZ_SECONDS")
                    .unwrap_or(default_seconds)
                    .max(0.0),
            ),
            max_executions: number("CLUSTERFORM_FUZZ_ITERATIONS").map(|n| n as u64),
            max_len: number("CLUSTERFORM_FUZZ_MAX_LEN").map_or(64 * 1024, |n| n as usize),
            crash_dir: target_dir.join("fuzz-crashes").join(target),
            hang_after: Duration::from_secs_f64(
                number("CLUSTERFORM_FUZZ_HANG_SECS")
                    .unwrap_or(60.0)
                    .max(1.0),
            ),
            trace: var("CLUSTERFORM_FUZZ_TRACE").is_some_and(|v| v != "0"),
            alloc: None,
            max_crashes: 8,
        }
    }
}

fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Allocation accounting, provided by a binary that installs a counting global allocator.
#[derive(Clone, Copy, Debug)]
pub struct AllocProbe {
    /// Starts a measurement on the calling thread.
    pub reset: fn(),
    /// Peak bytes allocated on the calling thread since `reset`, beyond what was live then.
    pub peak: fn() -> usize,
}

/// More than this many bytes for one input is a huge allocation: a fixed allowance plus a
/// generous factor of the input's size (a decoded value is a few times bigger than its bytes,
/// serde_json's tree more).
fn alloc_limit(input_len: usize) -> usize {
    64 * 1024 * 1024 + input_len.saturating_mul(512)
}

#[derive(Clone, Debug)]
pub struct Crash {
    pub message: String,
    /// Minimised.
    pub input: Vec<u8>,
    pub saved: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Report {
    pub target: &'static str,
    pub seed: u64,
    pub seeds: usize,
    pub executions: u64,
    pub elapsed: Duration,
    pub pool: usize,
    pub shapes: usize,
    pub slowest: Duration,
    pub slowest_len: usize,
    pub peak_alloc: usize,
    pub crashes: Vec<Crash>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "{:<22} {:>10} inputs {:>8.1} s {:>9.0}/s  seeds {:>3}  pool {:>5}  shapes {:>6}  slowest {:>7.2} ms ({} B)  peak alloc {:>6} KiB  crashes {}",
            self.target,
            self.executions,
            secs,
            self.executions as f64 / secs.max(1e-9),
            self.seeds,
            self.pool,
            self.shapes,
            self.slowest.as_secs_f64() * 1000.0,
            self.slowest_len,
            self.peak_alloc / 1024,
            self.crashes.len(),
        )
    }
}

/// Inputs that reached a new shape join the pool, up to this many.
const POOL_LIMIT: usize = 4096;
/// Minimisation stops after this many attempts.
const MINIMISE_TRIES: usize = 4000;

/// Fuzzes `target`, starting from `seeds`.
pub fn run(target: &Target, seeds: &[Vec<u8>], config: &Config) -> Report {
    install_panic_hook();
    let watchdog = Watchdog::start(config);
    let mut fuzzer = Fuzzer {
        target,
        config,
        watchdog: &watchdog,
        rng: Rng::with_seed(config.seed ^ shape::hash(target.name.as_bytes())),
        pool: seeds.to_vec(),
        shapes: HashSet::new(),
        features: Features::default(),
        crash_keys: HashSet::new(),
        report: Report {
            target: target.name,
            seed: config.seed,
            seeds: seeds.len(),
            executions: 0,
            elapsed: Duration::ZERO,
            pool: 0,
            shapes: 0,
            slowest: Duration::ZERO,
            slowest_len: 0,
            peak_alloc: 0,
            crashes: Vec::new(),
        },
    };
    let mut dictionary: Vec<Vec<u8>> = target.dictionary.iter().map(|t| t.to_vec()).collect();
    dictionary.extend(tokens_of(seeds, 256));
    let dictionary: Vec<&[u8]> = dictionary.iter().map(Vec::as_slice).collect();

    let start = Instant::now();
    for seed in seeds {
        fuzzer.execute(seed);
    }
    let mutation_start = Instant::now();
    while mutation_start.elapsed() < config.budget
        && config
            .max_executions
            .is_none_or(|max| fuzzer.report.executions < max)
        && fuzzer.report.crashes.len() < config.max_crashes
    {
        let input = fuzzer.next_input(&dictionary);
        fuzzer.execute(&input);
    }
    let mut report = fuzzer.report;
    report.elapsed = start.elapsed();
    report.pool = fuzzer.pool.len();
    report.shapes = fuzzer.shapes.len();
    watchdog.stop();
    if !config.trace {
        let _ = std::fs::remove_file(config.crash_dir.join("in-flight"));
    }
    report
}

struct Fuzzer<'a> {
    target: &'a Target,
    config: &'a Config,
    watchdog: &'a Watchdog,
    rng: Rng,
    pool: Vec<Vec<u8>>,
    shapes: HashSet<u64>,
    /// The current input's, reused.
    features: Features,
    crash_keys: HashSet<u64>,
    report: Report,
}

enum Outcome {
    /// Ran; the features are in `Fuzzer::features`.
    Ran,
    Crash(String),
}

impl Fuzzer<'_> {
    fn next_input(&mut self, dictionary: &[&[u8]]) -> Vec<u8> {
        let max_len = self.config.max_len;
        if let Some(generate) = self.target.generate {
            if self.rng.u8(0..4) == 0 {
                let mut input = generate(&mut self.rng);
                if self.rng.bool() {
                    mutate(&mut self.rng, &mut input, dictionary, &self.pool, max_len);
                }
                input.truncate(max_len);
                return input;
            }
        }
        let mut input = if self.pool.is_empty() {
            Vec::new()
        } else {
            self.pool[self.rng.usize(..self.pool.len())].clone()
        };
        mutate(&mut self.rng, &mut input, dictionary, &self.pool, max_len);
        input
    }

    fn execute(&mut self, input: &[u8]) {
        let (outcome, took, peak) = self.run_once(input);
        self.report.executions += 1;
        if took > self.report.slowest {
            self.report.slowest = took;
            self.report.slowest_len = input.len();
        }
        self.report.peak_alloc = self.report.peak_alloc.max(peak);
        match outcome {
            Outcome::Ran => {
                let mut new = false;
                for feature in self.features.iter() {
                    new |= self.shapes.insert(feature);
                }
                if new {
                    if self.pool.len() < POOL_LIMIT {
                        self.pool.push(input.to_vec());
                    } else {
                        let slot = self
                            .rng
                            .usize(self.report.seeds.min(POOL_LIMIT - 1)..POOL_LIMIT);
                        self.pool[slot] = input.to_vec();
                    }
                }
            }
            Outcome::Crash(message) => self.record_crash(input, message),
        }
    }

    fn run_once(&mut self, input: &[u8]) -> (Outcome, Duration, usize) {
        self.watchdog.begin(input);
        if self.config.trace {
            let _ = std::fs::create_dir_all(&self.config.crash_dir);
            let _ = std::fs::write(self.config.crash_dir.join("in-flight"), input);
        }
        if let Some(probe) = self.config.alloc {
            (probe.reset)();
        }
        self.features.clear();
        let features = &mut self.features;
        let run = self.target.run;
        let started = Instant::now();
        let result = catch_panic(|| run(input, features));
        let took = started.elapsed();
        self.watchdog.end();
        let peak = self.config.alloc.map_or(0, |probe| (probe.peak)());
        let outcome = match result {
            Err(message) => Outcome::Crash(message),
            Ok(()) if peak > alloc_limit(input.len()) => Outcome::Crash(format!(
                "huge allocation: {peak} bytes for an input of {} bytes",
                input.len()
            )),
            Ok(()) => Outcome::Ran,
        };
        (outcome, took, peak)
    }

    fn record_crash(&mut self, input: &[u8], message: String) {
        let key = crash_key(&message);
        if !self.crash_keys.insert(key) {
            return;
        }
        let minimal = self.minimise(input, key);
        let saved = save(&self.config.crash_dir, "crash", &minimal, &message);
        self.report.crashes.push(Crash {
            message,
            input: minimal,
            saved,
        });
    }

    /// Removes chunks (halves first, then smaller) while the input still crashes the same way.
    fn minimise(&mut self, input: &[u8], key: u64) -> Vec<u8> {
        let mut best = input.to_vec();
        let mut tries = 0;
        let mut chunk = (best.len() / 2).max(1);
        while chunk >= 1 && tries < MINIMISE_TRIES {
            let mut at = 0;
            let mut shrunk = false;
            while at < best.len() && tries < MINIMISE_TRIES {
                let end = (at + chunk).min(best.len());
                let mut candidate = best[..at].to_vec();
                candidate.extend_from_slice(&best[end..]);
                tries += 1;
                match self.run_once(&candidate).0 {
                    Outcome::Crash(m) if crash_key(&m) == key => {
                        best = candidate;
                        shrunk = true;
                    }
                    _ => at += chunk,
                }
            }
            if !shrunk {
                if chunk == 1 {
                    break;
                }
                chunk /= 2;
            }
        }
        best
    }
}

/// Crashes with the same message and place are one crash, whatever data they quote.
fn crash_key(message: &str) -> u64 {
    shape::of_text(message.lines().next().unwrap_or_default())
}

/// Writes `input` (and `message` beside it) as `<kind>-<hash>`; `None` if the disk refuses.
fn save(dir: &Path, kind: &str, input: &[u8], message: &str) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("{kind}-{:016x}", shape::hash(input)));
    std::fs::write(&path, input).ok()?;
    let _ = std::fs::write(path.with_extension("txt"), format!("{message}\n"));
    Some(path)
}

// -------------------------------------------------------------------------------------------
// Panics

thread_local! {
    /// Set while a target runs on this thread: its panics are recorded, not printed.
    static CAPTURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static CAPTURED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// One hook for the whole process (tests run targets on several threads at once): it records
/// panics of threads that are running a target and hands every other panic to the hook that
/// was there before.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(|c| c.get()) {
                let payload = info.payload();
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-text panic payload)".to_string());
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                CAPTURED.with(|c| *c.borrow_mut() = Some(format!("{text}{place}")));
            } else {
                previous(info);
            }
        }));
    });
}

fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    CAPTURING.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    result.map_err(|_| {
        CAPTURED
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| "panic".to_string())
    })
}

// -------------------------------------------------------------------------------------------
// Hangs

struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<thread::JoinHandle<()>>,
}

struct Shared {
    running: Mutex<Running>,
    stop: AtomicBool,
}

#[derive(Default)]
struct Running {
    input: Vec<u8>,
    since: Option<Instant>,
}

impl Watchdog {
    fn start(config: &Config) -> Watchdog {
        let shared = Arc::new(Shared {
            running: Mutex::new(Running::default()),
            stop: AtomicBool::new(false),
        });
        let watched = Arc::clone(&shared);
        let dir = config.crash_dir.clone();
        let limit = config.hang_after;
        let thread = thread::Builder::new()
            .name("fuzz-watchdog".into())
            .spawn(move || watch(&watched, &dir, limit))
            .ok();
        Watchdog { shared, thread }
    }

    fn begin(&self, input: &[u8]) {
        let mut running = lock(&self.shared.running);
        running.input.clear();
        running.input.extend_from_slice(input);
        running.since = Some(Instant::now());
    }

    fn end(&self) {
        lock(&self.shared.running).since = None;
    }

    fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn lock(m: &Mutex<Running>) -> std::sync::MutexGuard<'_, Running> {
    m.lock().unwrap_or_else(|poison| poison.into_inner())
}

fn watch(shared: &Shared, dir: &Path, limit: Duration) {
    while !shared.stop.load(Ordering::Acquire) {
        thread::park_timeout(Duration::from_millis(250));
        let running = lock(&shared.running);
        if running.since.is_some_and(|since| since.elapsed() > limit) {
            let message = format!("hang: an input ran for more than {limit:?}");
            let saved = save(dir, "hang", &running.input, &message);
            eprintln!("fuzz: {message}; saved as {saved:?}; aborting");
            std::process::abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        Config {
            seed: 1,
            budget: Duration::from_secs(60),
            max_executions: Some(3_000),
            max_len: 64,
            crash_dir: dir.to_path_buf(),
            hang_after: Duration::from_secs(60),
            trace: false,
            alloc: None,
            max_crashes: 4,
        }
    }

    #[test]
    fn finds_minimises_and_saves_a_crash() {
        fn fragile(data: &[u8], out: &mut Features) {
            if data.windows(2).any(|w| w == b"!!") {
                panic!("two bangs");
            }
            out.add(0, data.len() as u64);
        }
        let target = Target {
            name: "fragile",
            run: fragile,
            dictionary: &[b"!"],
            generate: None,
        };
        let dir = std::env::temp_dir().join(format!("clusterform-fuzz-{}", std::process::id()));
        let report = run(&target, &[b"hello world".to_vec()], &config(&dir));
        assert_eq!(report.crashes.len(), 1, "{report}");
        let crash = &report.crashes[0];
        assert_eq!(crash.input, b"!!");
        assert!(
            crash.message.starts_with("two bangs at "),
            "{}",
            crash.message
        );
        let saved = crash.saved.as_ref().unwrap();
        assert_eq!(std::fs::read(saved).unwrap(), b"!!");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_sound_target_runs_its_budget() {
        let target = Target {
            name: "sound",
            run: |data, out| out.add(0, data.len() as u64),
            dictionary: &[],
            generate: None,
        };
        let dir = std::env::temp_dir().join("clusterform-fuzz-sound");
        let report = run(&target, &[b"abc".to_vec()], &config(&dir));
        assert_eq!(report.executions, 3_000);
        assert!(report.crashes.is_empty());
        assert!(report.shapes > 10, "{report}");
    }

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed("0xff"), Some(255));
        assert_eq!(parse_seed("x"), None);
    }
}
