//! Values a long-running flow remembers between runs (`resume = ["cardholderId"]`):
//! a production compliance approval can take hours, so a run that finds it
//! still pending keeps the created cardholder's id here, and the next run
//! continues with it instead of creating another cardholder.
//!
//! The store is `resume.json` beside golive's state file, keyed by
//! `<environment>/<probe id>`; it holds ids the partner returned, never
//! secrets, and is written 0600 through a temporary file and a rename.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The remembered values of every flow, by `<environment>/<probe id>`.
type Store = BTreeMap<String, BTreeMap<String, Value>>;

/// Where one probe's remembered values live.
#[derive(Debug, Clone)]
pub struct ResumeFile {
    path: PathBuf,
    key: String,
}

impl ResumeFile {
    /// The store beside `state_file`, for probe `probe` of environment `env`.
    pub fn new(state_file: &Path, env: &str, probe: &str) -> ResumeFile {
        ResumeFile { path: state_file.with_file_name("resume.json"), key: format!("{env}/{probe}") }
    }

    /// Where the store is, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<Store, String> {
        match crate::files::read_regular_text(&self.path, crate::files::MAX_STATE_BYTES) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                format!("{} is not valid ({e}); move it aside to start the flow afresh", self.path.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::new()),
            Err(e) => Err(format!("cannot read {}: {e}", self.path.display())),
        }
    }

    fn write(&self, store: &Store) -> Result<(), String> {
        use std::io::Write;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(store).map_err(|e| e.to_string())?;
        let tmp = self.path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }

    /// The values remembered for this probe (empty when none).
    pub fn load(&self) -> Result<BTreeMap<String, Value>, String> {
        Ok(self.read()?.remove(&self.key).unwrap_or_default())
    }

    /// Remembers `name = value` for this probe.
    pub fn remember(&self, name: &str, value: &Value) -> Result<(), String> {
        let mut store = self.read()?;
        store.entry(self.key.clone()).or_default().insert(name.to_string(), value.clone());
        self.write(&store)
    }

    /// Forgets everything remembered for this probe (the flow completed).
    pub fn clear(&self) -> Result<(), String> {
        let mut store = self.read()?;
        if store.remove(&self.key).is_some() {
            self.write(&store)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_probe_and_clears() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let a = ResumeFile::new(&state, "production", "flow-a");
        let b = ResumeFile::new(&state, "production", "flow-b");
        a.remember("cardholderId", &Value::from(10532)).unwrap();
        b.remember("cardholderId", &Value::from(7)).unwrap();
        assert_eq!(a.load().unwrap().get("cardholderId"), Some(&Value::from(10532)));
        a.clear().unwrap();
        assert!(a.load().unwrap().is_empty());
        assert_eq!(b.load().unwrap().get("cardholderId"), Some(&Value::from(7)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(a.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_broken_store_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("resume.json"), "{not json").unwrap();
        let r = ResumeFile::new(&dir.path().join("state.json"), "e", "p");
        assert!(r.load().unwrap_err().contains("resume.json is not valid"));
    }
}
