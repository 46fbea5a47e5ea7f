//! The file the partner's accepted answer goes to: created before the request
//! is sent, new (`O_EXCL`, so two exchanges for the same key file never both
//! send the temporal key) and never through a symlink (`O_NOFOLLOW`), 0600,
//! with [`RESERVE`] bytes of disk reserved (`fallocate`, keeping the size at
//! 0), so a disk that fills up during the request cannot lose the key. The
//! answer is written as it arrives, each piece synced to disk before anything
//! else reads it; when the file fails anyway (an error the reservation does not
//! cover), every byte received so far goes to a fallback file in another
//! folder, named in the message.
//!
//! Until the request is handed to the network ([`AnswerFile::sending`]), the
//! file is removed when dropped: an exchange stopped before sending leaves nothing.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Disk reserved before sending: the 1 MiB golive reads of any API answer,
/// and room for the status line and headers. (The partner documents no size:
/// "The permanent API key is returned in the response body",
/// https://api-docs.payments.ai/docs/api/api-key-generation; a key and its id
/// in JSON take well under a kilobyte.)
pub const RESERVE: u64 = 1024 * 1024 + 64 * 1024;

/// Bytes of an answer golive keeps at most: a partner that sends more is cut
/// off there, and the message says the key may not be in what was kept.
pub const CAP: u64 = 16 * 1024 * 1024;

/// The answer's file.
pub struct AnswerFile {
    /// The open file (the fallback's, once the first failed).
    file: File,
    /// Where the answer is being written.
    path: PathBuf,
    /// Bytes written to `file`.
    written: u64,
    /// Bytes reserved in `file`.
    reserved: u64,
    /// Every byte received, for a fallback.
    kept: Vec<u8>,
    /// Folders for a fallback file, in order of preference.
    fallback_dirs: Vec<PathBuf>,
    /// Why the first file was given up, when it was.
    moved: Option<String>,
    /// Whether the request was handed to the network (the file is never removed then).
    sent: bool,
}

impl AnswerFile {
    /// Creates `path` (new, 0600, not through a symlink) and reserves
    /// [`RESERVE`] bytes in it. `fallback_dirs` are where the answer goes if
    /// writing `path` fails later. The error says why, never having sent anything.
    pub fn create(path: &Path, fallback_dirs: Vec<PathBuf>) -> std::io::Result<AnswerFile> {
        let file = open_new(path)?;
        sync_dir(path);
        let mut answer = AnswerFile {
            file,
            path: path.to_path_buf(),
            written: 0,
            reserved: 0,
            kept: Vec::new(),
            fallback_dirs,
            moved: None,
            sent: false,
        };
        match reserve(&answer.file, 0, RESERVE) {
            Ok(reserved) => answer.reserved = if reserved { RESERVE } else { 0 },
            // The reservation failed (the disk is full): nothing is sent.
            Err(e) => return Err(e),
        }
        Ok(answer)
    }

    /// From now on the request may have reached the partner: the file is kept
    /// whatever happens.
    pub fn sending(&mut self) {
        self.sent = true;
    }

    /// Where the answer is (the fallback file, once the first one failed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many bytes of the answer are on disk.
    pub fn bytes(&self) -> u64 {
        self.written
    }

    /// Why the answer is not where it was planned, when it is not.
    pub fn moved(&self) -> Option<&str> {
        self.moved.as_deref()
    }

    /// Reserves room for `total` bytes, when the answer announces more than
    /// [`RESERVE`] (its `Content-Length`); a failure here only means the
    /// writes are not covered beyond what was reserved.
    pub fn reserve_for(&mut self, total: u64) {
        let total = total.min(CAP);
        if total > self.reserved && reserve(&self.file, 0, total).unwrap_or(false) {
            self.reserved = total;
        }
    }

    /// Appends `bytes` and syncs them to disk. When the file fails, everything
    /// received so far is written to a fallback file instead; the error means
    /// no file holds the answer.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.kept.extend_from_slice(bytes);
        let written = self.file.write_all(bytes).and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.written += bytes.len() as u64;
                Ok(())
            }
            Err(e) => self.fall_back(&e.to_string()),
        }
    }

    /// Writes every byte received to the first fallback folder that takes it.
    fn fall_back(&mut self, why: &str) -> Result<(), String> {
        let first = format!("{} could not be written ({why})", self.path.display());
        let mut tried = vec![first.clone()];
        for dir in self.fallback_dirs.clone() {
            let path = dir.join(fallback_name());
            let attempt = open_new(&path).and_then(|mut f| {
                f.write_all(&self.kept)?;
                f.sync_all()?;
                Ok(f)
            });
            match attempt {
                Ok(file) => {
                    sync_dir(&path);
                    self.moved.get_or_insert(first);
                    (self.file, self.path, self.written, self.reserved) = (file, path, self.kept.len() as u64, 0);
                    return Ok(());
                }
                Err(e) => tried.push(format!("{} could not be written either ({e})", path.display())),
            }
        }
        Err(tried.join("; "))
    }

    /// The answer is whole (or cut off for good): its last bytes synced, the
    /// room reserved beyond them given back. Returns where it is.
    pub fn finish(&mut self) -> PathBuf {
        let _ = self.file.sync_all();
        if self.reserved > self.written {
            release(&self.file, self.written, self.reserved - self.written);
            self.reserved = self.written;
        }
        self.path.clone()
    }

    /// The request was refused or never answered: no key is coming. The file
    /// is removed when nothing was written to it (so it does not block the
    /// next exchange).
    pub fn discard(mut self) {
        self.sent = false;
    }

    /// The bytes received, whole (for parsing once the answer is complete).
    pub fn received(&self) -> &[u8] {
        &self.kept
    }
}

impl Drop for AnswerFile {
    fn drop(&mut self) {
        // Nothing was sent: the empty file would only block the next exchange.
        if !self.sent && self.written == 0 {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A name for a fallback file, unique to this process and moment.
fn fallback_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("golive-exchange-answer-{}-{nanos}.http", std::process::id())
}

/// Opens a new file for writing: fails if anything (a symlink too) is there; 0600.
fn open_new(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // `create_new` is O_CREAT|O_EXCL, which never follows a symlink; O_NOFOLLOW says so twice.
        options.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    options.open(path)
}

/// Syncs the folder holding `path`, so the file's name survives a crash too.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

/// Reserves `len` bytes from `offset` without changing the file's size.
/// `Ok(false)`: this file system (or system) cannot reserve; `Err`: no room.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn reserve(file: &File, offset: u64, len: u64) -> std::io::Result<bool> {
    use rustix::fs::{FallocateFlags, fallocate};
    match fallocate(file, FallocateFlags::KEEP_SIZE, offset, len) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::NOSPC => Err(std::io::Error::from(e)),
        // Not supported here (EOPNOTSUPP, ENOSYS) or refused otherwise: write without a reservation.
        Err(_) => Ok(false),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn reserve(_file: &File, _offset: u64, _len: u64) -> std::io::Result<bool> {
    Ok(false)
}

/// Gives back reserved room past the end of the answer.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn release(file: &File, offset: u64, len: u64) {
    use rustix::fs::{FallocateFlags, fallocate};
    let _ = fallocate(file, FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE, offset, len);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn release(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_only_never_through_a_symlink_and_removed_when_nothing_was_sent() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k.answer");
        let first = AnswerFile::create(&path, Vec::new()).expect("created");
        assert!(AnswerFile::create(&path, Vec::new()).is_err(), "O_EXCL: a second exchange cannot take it");
        drop(first);
        assert!(!path.exists(), "nothing was sent: nothing is left");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("elsewhere"), &path).expect("symlink");
            assert!(AnswerFile::create(&path, Vec::new()).is_err());
            assert!(!dir.path().join("elsewhere").exists(), "the link was not followed");
        }
    }

    #[test]
    fn every_byte_is_on_disk_as_it_arrives_and_the_file_is_0600() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k.answer");
        let mut answer = AnswerFile::create(&path, Vec::new()).expect("created");
        answer.sending();
        answer.write(b"HTTP/1.1 200 OK\r\n\r\n").expect("head");
        answer.write(b"{\"apiKey\":").expect("body");
        // Read back before the answer ends: what arrived is there.
        assert_eq!(std::fs::read(&path).expect("read"), b"HTTP/1.1 200 OK\r\n\r\n{\"apiKey\":");
        assert_eq!(answer.finish(), path);
        drop(answer);
        assert!(path.exists(), "sent: kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        }
    }

    /// A file that fails every write (`/dev/full`: ENOSPC) sends the answer,
    /// every byte so far, to the fallback folder.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_sends_the_answer_to_the_fallback_folder() {
        let fallback = tempfile::tempdir().expect("dir");
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let mut answer = AnswerFile {
            file: full,
            path: PathBuf::from("/dev/full"),
            written: 0,
            reserved: 0,
            kept: Vec::new(),
            fallback_dirs: vec![PathBuf::from("/nonexistent-golive"), fallback.path().to_path_buf()],
            moved: None,
            sent: true,
        };
        answer.write(b"HTTP/1.1 200 OK\r\n\r\n").expect("kept elsewhere");
        answer.write(b"{\"apiKey\":\"k\"}").expect("appended there");
        let at = answer.finish();
        assert!(at.starts_with(fallback.path()), "{}", at.display());
        assert_eq!(std::fs::read(&at).expect("read"), b"HTTP/1.1 200 OK\r\n\r\n{\"apiKey\":\"k\"}");
        assert!(answer.moved().is_some_and(|m| m.contains("/dev/full could not be written")), "{:?}", answer.moved());
        // No folder takes it: the error says where it was tried.
        let mut lost = AnswerFile {
            file: std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full"),
            path: PathBuf::from("/dev/full"),
            written: 0,
            reserved: 0,
            kept: Vec::new(),
            fallback_dirs: vec![PathBuf::from("/nonexistent-golive")],
            moved: None,
            sent: true,
        };
        let err = lost.write(b"x").expect_err("nowhere");
        assert!(err.contains("/nonexistent-golive"), "{err}");
    }
}
