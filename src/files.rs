//! File-safety helpers shared by production code and the fakes: files only
//! their owner can read, reading what a user names (only regular files, never
//! more than a bound) and opening report outputs that may be pipes.
//!
//! A FIFO named as a configuration, pack or secret file would block `open`
//! until a writer comes (SIGTERM cannot end a thread stuck there), and
//! `/dev/zero` never ends: so every file golive reads is opened without
//! blocking, must be a regular file, and is read up to a bound.

use std::io::Read;
use std::path::Path;

/// The most golive reads of a configuration or pack file.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// The most golive reads of a secret file.
pub const MAX_SECRET_BYTES: u64 = 64 * 1024;
/// The most golive reads of a JSON report.
pub const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Writes a new file only its owner can read (0600 on Unix); fails if the file exists.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What a path is when it is not a regular file, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() { "a directory" } else { "not a regular file" }
}

/// The most golive reads of a file it wrote itself to keep state between runs
/// (the key and secret history, a flow's resume store, an evidence manifest).
pub const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a regular file of at most `max` bytes. A FIFO, a device, a socket or
/// a directory is refused without blocking; a larger file is refused, never
/// read whole. The error says which, in words fit for "cannot read X: …".
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, NONBLOCK);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("it is {}; give a regular file", kind_of(&meta)),
        ));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The size may change while it is read: the bound holds whatever it says.
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_regular(path, max)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8 text"))
}

fn too_large(max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("it is larger than {} KiB, the most golive reads", max / 1024),
    )
}

/// Writes an output the user named (`--report FORMAT=PATH`, `--output`): a
/// regular file is created or truncated; a FIFO or pipe with no reader
/// (`/dev/stdout` after the reader left) is an error at once, never a wait.
pub fn write_output(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, NONBLOCK);
    let mut file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) {
            return std::io::Error::new(std::io::ErrorKind::BrokenPipe, "nothing reads from this pipe");
        }
        e
    })?;
    #[cfg(unix)]
    blocking(&file)?;
    file.write_all(bytes)?;
    file.flush()
}

/// Clears O_NONBLOCK again, so a pipe whose reader is slow is waited for
/// rather than failing with EAGAIN.
#[cfg(unix)]
fn blocking(file: &std::fs::File) -> std::io::Result<()> {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let flags = fcntl_getfl(file)?;
    fcntl_setfl(file, flags - OFlags::NONBLOCK)?;
    Ok(())
}

/// `O_NONBLOCK` for `OpenOptionsExt::custom_flags`.
#[cfg(unix)]
const NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_bound_is_refused_and_one_within_it_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 100]).unwrap();
        assert_eq!(read_regular(&path, 100).unwrap().len(), 100);
        let err = read_regular(&path, 99).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        let err = read_regular(dir.path(), 99).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }
}
