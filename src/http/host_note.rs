//! Small values the provider processes of one user on one host leave each other about one API
//! origin, next to its gate file (see [`super::host_gate`]): the typical settling time a wait
//! learned, so that the other processes' waits can read their objects when it has passed instead
//! of learning it again through listings that take slots from everybody's final reads.
//!
//! A note is advice: a missing, unreadable or stale one is no note, and a wrong one only costs a
//! read that comes too early.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::host_gate::{HostGate, Origin};

/// Notes older than this are ignored: they are about other objects, created at another time.
const FRESH_FOR: Duration = Duration::from_secs(3600);

/// One note: a duration and when it was written, as `<millis> <unix millis>` text.
#[derive(Debug, Clone)]
pub struct HostNote {
    dir: PathBuf,
    file: String,
}

impl HostNote {
    pub(crate) fn new(gate: &HostGate, origin: &Origin, name: &str) -> HostNote {
        HostNote {
            dir: gate.dir().to_path_buf(),
            file: format!("{}.{name}.note", origin.stem()),
        }
    }

    /// A note in `dir` (tests).
    #[cfg(test)]
    pub(crate) fn in_dir(dir: &std::path::Path, file: &str) -> HostNote {
        HostNote {
            dir: dir.to_path_buf(),
            file: file.to_string(),
        }
    }

    /// The duration last written, unless it is older than an hour.
    pub fn read(&self) -> Option<Duration> {
        let text = std::fs::read_to_string(self.dir.join(&self.file)).ok()?;
        let (value, written) = text.trim().split_once(' ')?;
        let written = UNIX_EPOCH + Duration::from_millis(written.parse().ok()?);
        let age = SystemTime::now().duration_since(written).ok()?;
        if age > FRESH_FOR {
            return None;
        }
        Some(Duration::from_millis(value.parse().ok()?))
    }

    /// Replaces the note (written aside, then renamed: a reader sees the old or the new one).
    /// Failures are only logged: the note is advice.
    pub fn write(&self, value: Duration) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let text = format!("{} {}\n", value.as_millis(), now.as_millis());
        let aside = self
            .dir
            .join(format!("{}.{}.tmp", self.file, std::process::id()));
        let written = std::fs::write(&aside, text)
            .and_then(|()| std::fs::rename(&aside, self.dir.join(&self.file)));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&aside);
            tracing::debug!(note = self.file.as_str(), error = %err, "cannot write the host note");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_reads_back_until_it_is_stale() {
        let dir = std::env::temp_dir().join(format!("clusterform-note-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let note = HostNote::in_dir(&dir, "a.note");
        assert_eq!(note.read(), None);
        note.write(Duration::from_millis(61_250));
        assert_eq!(note.read(), Some(Duration::from_millis(61_250)));

        let stale = UNIX_EPOCH.elapsed().unwrap() - FRESH_FOR - Duration::from_secs(5);
        std::fs::write(dir.join("a.note"), format!("5000 {}\n", stale.as_millis())).unwrap();
        assert_eq!(note.read(), None);
        std::fs::write(dir.join("a.note"), "garbage").unwrap();
        assert_eq!(note.read(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
