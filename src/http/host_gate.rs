//! The cross-process half of request spacing.
//!
//! A vendor's rate limit counts the requests of a caller (an IP), not of one provider process,
//! and `terragrunt run-all` or parallel CI jobs start many processes of one user on one host.
//! They agree through one small file per API origin (scheme, host, port) in a directory of that
//! user's: whoever sends holds an exclusive `flock` on the file, and the file says when the last
//! request was answered and until when a 429 asked everyone to hold off. The kernel drops the
//! lock of a process that dies, so a killed run never blocks the others; origins have separate
//! files, so processes aimed at different hosts never wait on each other.
//!
//! The file holds wall-clock times (processes share no monotonic clock), and every wait read
//! from it is capped (by the reader's own interval, or its `retry_after_cap`), so a clock
//! stepped backwards or a garbled file costs at most one such wait.
//!
//! Locks are taken by polling `try_lock` with short cancellable sleeps rather than a blocking
//! `lock` on a thread: a blocked thread could be neither cancelled nor left behind at exit.
//! The in-process [`super::spacing::Spacer`] stands in front, so at most one request per client
//! polls here.

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::spacing::{sleep, Priority};
use super::HttpError;

/// Where the gate files live, instead of the per-user default (tests; hosts where several
/// accounts share one API quota and one directory they all can write).
pub const HOST_GATE_DIR_ENV: &str = "CLUSTERFORM_HOST_GATE_DIR";

/// How long a background request that found a foreground one waiting in another process stays
/// away before it asks again.
const GIVE_WAY_PAUSE: Duration = Duration::from_millis(100);

/// Bytes of the gate file: the last answer and the 429 hold-off, each as nanoseconds since the
/// Unix epoch (little-endian u64, 0 = none).
const STAMP_LEN: usize = 16;

/// Longer escaped names are replaced by a hash, well inside every file system's name limit.
const MAX_READABLE_NAME: usize = 120;

/// The part of a URL a rate limit is counted for: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// A file-name-safe, injective spelling of the origin.
    stem: String,
}

impl Origin {
    /// `None` for URLs without a host (not HTTP).
    pub(crate) fn of(url: &reqwest::Url) -> Option<Origin> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        Some(Origin {
            stem: file_stem(url.scheme(), host, port),
        })
    }

    /// The origin's part of the names of its files.
    pub(crate) fn stem(&self) -> &str {
        &self.stem
    }
}

/// `https_api.example.com_443`. Only `[a-z0-9.-]` stays as is in the host; every other byte
/// becomes `~xx`, so no two origins share a name ('_' appears only as the separator).
fn file_stem(scheme: &str, host: &str, port: u16) -> String {
    let mut escaped = String::with_capacity(host.len());
    for byte in host.to_ascii_lowercase().bytes() {
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'-' {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("~{byte:02x}"));
        }
    }
    let readable = format!("{scheme}_{escaped}_{port}");
    if readable.len() <= MAX_READABLE_NAME {
        return readable;
    }
    let digest = Sha256::digest(readable.as_bytes());
    format!("{scheme}_h{}_{port}", hex::encode(&digest[..16]))
}

/// What [`HostGate::acquire`] ended with.
pub(crate) enum Acquired {
    /// The right to send; dropping it records the answer time and lets the next process go.
    Turn(HostTurn),
    /// A background request stepped aside for a foreground one; try again after the pause.
    GiveWay(Duration),
    /// The gate cannot be used here (unwritable directory, no locking support): send without
    /// it rather than fail the request over a coordination file. Warned about once.
    Unavailable,
}

/// The gate directory of this user (or of [`HOST_GATE_DIR_ENV`]).
#[derive(Debug)]
pub(crate) struct HostGate {
    dir: PathBuf,
    warned: AtomicBool,
}

impl HostGate {
    /// The directory from [`HOST_GATE_DIR_ENV`], else `$XDG_RUNTIME_DIR/clusterform`, else
    /// `clusterform-<uid>` in the temporary directory; created with mode 0700. `None` (with a
    /// warning) when it cannot be made safe to use: spacing then holds within the process only.
    pub(crate) fn for_this_user() -> Option<HostGate> {
        let (dir, explicit) = match std::env::var_os(HOST_GATE_DIR_ENV) {
            Some(dir) if !dir.is_empty() => (PathBuf::from(dir), true),
            _ => (default_dir(), false),
        };
        match prepare_dir(&dir, explicit) {
            Ok(()) => Some(HostGate::in_dir(dir)),
            Err(err) => {
                tracing::warn!(
                    dir = %dir.display(),
                    error = %err,
                    "cannot use the request gate directory; request_interval holds within this process only"
                );
                None
            }
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// A gate in `dir`, which must exist.
    pub(crate) fn in_dir(dir: PathBuf) -> HostGate {
        HostGate {
            dir,
            warned: AtomicBool::new(false),
        }
    }

    /// Waits until `origin` is free for this process: no other process is sending to it, its
    /// last answer is `interval` old, and no 429 hold-off (up to `retry_after_cap`) is pending.
    /// A background request gives way while a foreground one waits, here (`local_foreground`)
    /// or in another process.
    pub(crate) async fn acquire(
        &self,
        origin: &Origin,
        interval: Duration,
        retry_after_cap: Duration,
        priority: Priority,
        local_foreground: &(dyn Fn() -> bool + Sync),
        cancel: &CancellationToken,
    ) -> Result<Acquired, HttpError> {
        let (gate_path, mark_path) = paths(&self.dir, origin);
        let gate = match open_rw(&gate_path) {
            Ok(file) => file,
            Err(err) => return Ok(self.unavailable(&gate_path, &err)),
        };
        let background = priority == Priority::Background;
        // Held (shared) while a foreground request waits, so background requests of other
        // processes can see it.
        let mark = match priority {
            Priority::Foreground => mark_foreground(&mark_path, cancel).await?,
            Priority::Background => None,
        };
        loop {
            match gate.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(err)) => return Ok(self.unavailable(&gate_path, &err)),
            }
            if background && local_foreground() {
                return Ok(Acquired::GiveWay(Duration::ZERO));
            }
            sleep(poll_pause(), cancel).await?;
        }
        drop(mark);

        let give_way = || {
            if local_foreground() {
                Some(Duration::ZERO)
            } else if foreground_waiting(&mark_path) {
                Some(GIVE_WAY_PAUSE)
            } else {
                None
            }
        };
        if background {
            if let Some(pause) = give_way() {
                return Ok(Acquired::GiveWay(pause));
            }
        }
        let stamp = read_stamp(&gate);
        sleep(
            stamp.wait(SystemTime::now(), interval, retry_after_cap),
            cancel,
        )
        .await?;
        // A foreground request may have come while this one slept; the slot is its.
        if background {
            if let Some(pause) = give_way() {
                return Ok(Acquired::GiveWay(pause));
            }
        }
        Ok(Acquired::Turn(HostTurn {
            file: gate,
            not_before: stamp.not_before,
        }))
    }

    fn unavailable(&self, path: &Path, err: &io::Error) -> Acquired {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                file = %path.display(),
                error = %err,
                "cannot use the request gate file; request_interval holds within this process only"
            );
        }
        Acquired::Unavailable
    }
}

/// The exclusive lock on an origin's gate file, from the end of the wait to the answer.
#[derive(Debug)]
pub(crate) struct HostTurn {
    file: File,
    not_before: Option<SystemTime>,
}

impl HostTurn {
    /// A 429 said to hold off until `until`: every process aimed at this origin will.
    pub(crate) fn defer_until(&mut self, until: SystemTime) {
        if self.not_before.is_none_or(|at| at < until) {
            self.not_before = Some(until);
        }
    }
}

impl Drop for HostTurn {
    fn drop(&mut self) {
        let stamp = Stamp {
            last_answer: Some(SystemTime::now()),
            not_before: self.not_before,
        };
        // The lock goes with the file right after; a failed write only costs the next process
        // its wait.
        if let Err(err) = write_stamp(&self.file, &stamp) {
            tracing::debug!(error = %err, "could not record the answer time in the request gate");
        }
    }
}

/// What a gate file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Stamp {
    last_answer: Option<SystemTime>,
    not_before: Option<SystemTime>,
}

impl Stamp {
    /// How long a request with `interval` waits at `now`. Each part is capped, so a time in the
    /// future by more than that (a clock stepped back, a confused file) costs no more.
    fn wait(&self, now: SystemTime, interval: Duration, retry_after_cap: Duration) -> Duration {
        let until = |at: Option<SystemTime>| {
            at.and_then(|at| at.duration_since(now).ok())
                .unwrap_or(Duration::ZERO)
        };
        let after_answer = until(self.last_answer.map(|at| at + interval)).min(interval);
        let hold_off = until(self.not_before).min(retry_after_cap);
        after_answer.max(hold_off)
    }

    fn encode(&self) -> [u8; STAMP_LEN] {
        let nanos = |at: Option<SystemTime>| {
            at.and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map(|since| u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
                .unwrap_or(0)
        };
        let mut out = [0u8; STAMP_LEN];
        out[..8].copy_from_slice(&nanos(self.last_answer).to_le_bytes());
        out[8..].copy_from_slice(&nanos(self.not_before).to_le_bytes());
        out
    }

    /// A short or empty file (new, or written by nobody yet) reads as "nothing recorded".
    fn decode(bytes: &[u8]) -> Stamp {
        let time = |range: std::ops::Range<usize>| {
            let raw: [u8; 8] = bytes.get(range)?.try_into().ok()?;
            match u64::from_le_bytes(raw) {
                0 => None,
                nanos => UNIX_EPOCH.checked_add(Duration::from_nanos(nanos)),
            }
        };
        Stamp {
            last_answer: time(0..8),
            not_before: time(8..16),
        }
    }
}

fn read_stamp(file: &File) -> Stamp {
    let mut bytes = Vec::with_capacity(STAMP_LEN);
    let mut reader = file;
    let read = reader
        .seek(SeekFrom::Start(0))
        .and_then(|_| reader.take(STAMP_LEN as u64).read_to_end(&mut bytes));
    match read {
        Ok(_) => Stamp::decode(&bytes),
        Err(_) => Stamp::default(),
    }
}

fn write_stamp(file: &File, stamp: &Stamp) -> io::Result<()> {
    let mut writer = file;
    writer.seek(SeekFrom::Start(0))?;
    writer.write_all(&stamp.encode())
}

/// The gate file and the foreground mark of `origin` in `dir`.
fn paths(dir: &Path, origin: &Origin) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{}.gate", origin.stem)),
        dir.join(format!("{}.fg", origin.stem)),
    )
}

/// Whether a foreground request waits for `origin` in the gate directory `dir`.
#[cfg(test)]
pub(crate) fn foreground_marked(dir: &Path, origin: &Origin) -> bool {
    foreground_waiting(&paths(dir, origin).1)
}

/// A shared lock on the origin's foreground mark, or `None` when it cannot be had (the
/// request then waits unmarked, merely losing its precedence).
async fn mark_foreground(
    path: &Path,
    cancel: &CancellationToken,
) -> Result<Option<File>, HttpError> {
    let Ok(file) = open_rw(path) else {
        return Ok(None);
    };
    // A background request holds the mark exclusively only for the instant of its probe.
    for _ in 0..50 {
        match file.try_lock_shared() {
            Ok(()) => return Ok(Some(file)),
            Err(TryLockError::WouldBlock) => sleep(Duration::from_millis(2), cancel).await?,
            Err(TryLockError::Error(_)) => return Ok(None),
        }
    }
    Ok(None)
}

/// Whether a foreground request of some process holds the origin's mark.
fn foreground_waiting(path: &Path) -> bool {
    let Ok(file) = open_rw(path) else {
        return false;
    };
    // Closing the file releases the probe's lock.
    matches!(file.try_lock(), Err(TryLockError::WouldBlock))
}

/// 5–15 ms: often enough that a freed gate is taken promptly, jittered so pollers of several
/// processes do not move in step.
fn poll_pause() -> Duration {
    Duration::from_millis(5 + fastrand::u64(0..10))
}

fn open_rw(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn default_dir() -> PathBuf {
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        // Per user, mode 0700, and emptied at logout: exactly the lifetime these files need.
        if runtime.is_absolute() {
            return runtime.join("clusterform");
        }
    }
    std::env::temp_dir().join(format!("clusterform-{}", user_tag()))
}

/// Names the temporary directory's gate folder after the user: the uid where the platform
/// tells it without `unsafe` (Linux: the owner of `/proc/self`), else the login name. Either way
/// the folder is checked before use.
fn user_tag() -> String {
    if let Some(uid) = own_uid() {
        return uid.to_string();
    }
    let name = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "user".to_string());
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(target_os = "linux")]
fn own_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").ok().map(|meta| meta.uid())
}

#[cfg(not(target_os = "linux"))]
fn own_uid() -> Option<u32> {
    None
}

/// Creates the directory (mode 0700) unless it exists. A default location must be a real
/// directory that other users cannot write to (and, where the uid is known, ours); an explicit
/// one is taken as given.
fn prepare_dir(dir: &Path, explicit: bool) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(explicit);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(err),
    }
    let meta = if explicit {
        fs::metadata(dir)?
    } else {
        fs::symlink_metadata(dir)?
    };
    if !meta.is_dir() {
        return Err(io::Error::other("not a directory"));
    }
    #[cfg(unix)]
    if !explicit {
        use std::os::unix::fs::MetadataExt;
        if meta.mode() & 0o022 != 0 {
            return Err(io::Error::other("writable by other users"));
        }
        if own_uid().is_some_and(|uid| uid != meta.uid()) {
            return Err(io::Error::other("owned by another user"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
