//! `MANIFEST.sig`: the manifest signed with an Ed25519 key the user holds,
//! outside the folder, so an evidence folder whose files were changed and
//! whose SHA-256 manifest was recomputed no longer verifies.
//!
//! The key is a PKCS#8 PEM file (`openssl genpkey -algorithm ed25519` makes
//! one too): `--evidence-key PATH`, `GOLIVE_EVIDENCE_KEY`, or by default
//! `evidence-ed25519.pem` beside the key-exchange state (`GOLIVE_STATE_DIR`,
//! `$XDG_STATE_HOME/golive`, `~/.local/state/golive`), made on first use
//! (0600, its folder 0700) with its public key beside it (`.pub`), which is
//! what an auditor is given. The signature file names the public key that
//! signed; `golive evidence verify` trusts only a key it is given
//! (`--public-key`) or the local key's own: a folder re-signed with another
//! key fails.
//!
//! Signing and verifying use aws-lc-rs, the crypto library golive's TLS already uses.

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

use super::EvidenceError;

/// The signature file's name.
pub const SIGNATURE: &str = "MANIFEST.sig";

/// The environment variable naming the signing key file.
pub const KEY_ENV: &str = "GOLIVE_EVIDENCE_KEY";

/// The first line of a signature file.
const HEADER: &str = "golive evidence signature 1";

/// What is signed: this prefix, then the manifest's bytes (a signature made
/// for anything else never verifies as one of these).
const CONTEXT: &[u8] = b"golive evidence manifest v1\n";

/// The prefix of a public key in text.
const KEY_PREFIX: &str = "ed25519:";

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The default signing key file: beside the key-exchange state.
pub fn default_key_path() -> PathBuf {
    if let Some(p) = std::env::var_os(KEY_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let state = crate::config::env::default_state_path();
    state.parent().unwrap_or(Path::new(".")).join("evidence-ed25519.pem")
}

/// The public key file beside a key file: `<key>.pub`.
pub fn public_key_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

/// A public key as text: `ed25519:<base64 of its 32 bytes>`.
pub fn public_key_text(bytes: &[u8]) -> String {
    format!("{KEY_PREFIX}{}", BASE64.encode(bytes))
}

/// A key that signs manifests.
pub struct Signer {
    pair: Ed25519KeyPair,
    /// Where the key is.
    pub path: PathBuf,
    /// Whether it was made just now (the command says so, with its public key).
    pub created: bool,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({}, {})", self.path.display(), self.public_key())
    }
}

impl Signer {
    /// Loads the key at `path`, or makes one there when there is none.
    pub fn load_or_create(path: &Path) -> Result<Signer, EvidenceError> {
        match std::fs::read(path) {
            Ok(pem) => Ok(Signer { pair: parse_key(path, &pem)?, path: path.to_path_buf(), created: false }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
            Err(e) => Err(EvidenceError::new(
                format!("cannot read the evidence signing key {}: {e}", path.display()),
                format!("check its permissions, or pass another key with --evidence-key or {KEY_ENV}"),
            )),
        }
    }

    /// The public key, as text.
    pub fn public_key(&self) -> String {
        public_key_text(self.pair.public_key().as_ref())
    }

    /// The signature file for a manifest.
    pub fn sign(&self, manifest: &[u8]) -> String {
        let signature = self.pair.sign(&[CONTEXT, manifest].concat());
        format!("{HEADER}\nkey {}\nsignature {}\n", self.public_key(), BASE64.encode(signature.as_ref()))
    }
}

fn parse_key(path: &Path, pem: &[u8]) -> Result<Ed25519KeyPair, EvidenceError> {
    let bad = |why: String| {
        EvidenceError::new(
            format!("the evidence signing key {} is not usable: {why}", path.display()),
            format!(
                "it must be an Ed25519 private key in PKCS#8 PEM (`openssl genpkey -algorithm ed25519`); move it away to have golive make one, or pass another with --evidence-key or {KEY_ENV}"
            ),
        )
    };
    let der = match PrivateKeyDer::from_pem_slice(pem).map_err(|e| bad(e.to_string()))? {
        PrivateKeyDer::Pkcs8(der) => der,
        _ => return Err(bad("it is not a PKCS#8 key".into())),
    };
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.secret_pkcs8_der()).map_err(|e| bad(e.to_string()))
}

/// Makes a key at `path` (0600, its folder 0700 when made here) and its public key beside it.
fn create(path: &Path) -> Result<Signer, EvidenceError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        EvidenceError::new(
            format!("cannot make the evidence signing key {}: {what}: {e}", path.display()),
            format!("pass a writable place with --evidence-key or {KEY_ENV}"),
        )
    };
    let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| fail("no key", &e))?;
    let pair = Ed25519KeyPair::from_pkcs8(document.as_ref()).map_err(|e| fail("no key", &e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| fail("its folder", &e))?;
    }
    // Written whole under a temporary name, then linked into place without
    // overwriting: two runs making the key at once end up with the same one.
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut staged =
        tempfile::Builder::new().prefix(".evidence-key-").tempfile_in(dir).map_err(|e| fail("the key", &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staged.path(), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail("the key", &e))?;
    }
    std::io::Write::write_all(&mut staged, pem("PRIVATE KEY", document.as_ref()).as_bytes())
        .and_then(|()| staged.as_file().sync_all())
        .map_err(|e| fail("the key", &e))?;
    match staged.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            let pem = std::fs::read(path).map_err(|e| fail("the key another run made", &e))?;
            return Ok(Signer { pair: parse_key(path, &pem)?, path: path.to_path_buf(), created: false });
        }
        Err(e) => return Err(fail("the key", &e.error)),
    }
    let signer = Signer { pair, path: path.to_path_buf(), created: true };
    // The public half is no secret; a missing .pub is only an inconvenience.
    let _ = std::fs::write(public_key_path(path), format!("{}\n", signer.public_key()));
    Ok(signer)
}

/// DER as PEM, 64 base64 characters a line.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Reads a public key given as `ed25519:<base64>` or as a file holding that
/// (a `.pub` golive wrote), or a signing key file (its public half).
pub fn read_public_key(given: &str) -> Result<Vec<u8>, String> {
    let text = given.trim();
    if let Some(b64) = text.strip_prefix(KEY_PREFIX) {
        return decode_key(b64).ok_or_else(|| format!("`{text}` is not an Ed25519 public key (32 bytes in base64)"));
    }
    let path = Path::new(text);
    let bytes = std::fs::read(path)
        .map_err(|e| format!("`{text}` is neither `{KEY_PREFIX}<base64>` nor a readable file ({e})"))?;
    let content = String::from_utf8_lossy(&bytes);
    if let Some(b64) = content.trim().strip_prefix(KEY_PREFIX) {
        return decode_key(b64).ok_or_else(|| format!("{} holds no Ed25519 public key", path.display()));
    }
    parse_key(path, &bytes).map(|pair| pair.public_key().as_ref().to_vec()).map_err(|e| e.message)
}

fn decode_key(b64: &str) -> Option<Vec<u8>> {
    BASE64.decode(b64.trim()).ok().filter(|k| k.len() == 32)
}

/// What a signature file says about a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Signed by this key (as text), and the signature matches the manifest.
    Valid(String),
    /// What is wrong: the file is not a signature, or it does not match.
    Invalid(String),
}

/// Checks a signature file against a manifest: whether the key it names signed these bytes.
pub fn check(signature_file: &[u8], manifest: &[u8]) -> Checked {
    let Ok(text) = std::str::from_utf8(signature_file) else {
        return Checked::Invalid("is not text: it was changed or replaced".into());
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Checked::Invalid(format!("does not start with `{HEADER}`: it is not a golive signature"));
    }
    let (mut key, mut signature) = (None, None);
    for line in lines {
        match line.split_once(' ') {
            Some(("key", v)) => key = v.strip_prefix(KEY_PREFIX).and_then(decode_key),
            Some(("signature", v)) => signature = BASE64.decode(v.trim()).ok(),
            _ => {}
        }
    }
    let (Some(key), Some(signature)) = (key, signature) else {
        return Checked::Invalid("lacks its `key ed25519:…` or `signature …` line".into());
    };
    match UnparsedPublicKey::new(&ED25519, &key).verify(&[CONTEXT, manifest].concat(), &signature) {
        Ok(()) => Checked::Valid(public_key_text(&key)),
        Err(_) => Checked::Invalid(format!(
            "does not match {}: the manifest was changed after {} signed it",
            super::MANIFEST,
            public_key_text(&key)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_its_manifest_only_and_names_its_key() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub/evidence.pem");
        let signer = Signer::load_or_create(&path).expect("made");
        assert!(signer.created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!((mode(&path), mode(&dir.path().join("sub"))), (0o600, 0o700));
        }
        let again = Signer::load_or_create(&path).expect("loaded");
        assert!(!again.created && again.public_key() == signer.public_key());
        let sig = signer.sign(b"abc  run.json\n");
        assert_eq!(check(sig.as_bytes(), b"abc  run.json\n"), Checked::Valid(signer.public_key()));
        assert!(matches!(check(sig.as_bytes(), b"abd  run.json\n"), Checked::Invalid(why) if why.contains("changed")));
        assert!(matches!(check(b"\xff\xfe garbage", b""), Checked::Invalid(_)));
        // The public key reads back from text, the .pub file and the key file itself.
        let pk = read_public_key(&signer.public_key()).expect("text");
        assert_eq!(read_public_key(public_key_path(&path).to_str().expect("utf-8")), Ok(pk.clone()));
        assert_eq!(read_public_key(path.to_str().expect("utf-8")), Ok(pk));
        assert!(read_public_key("ed25519:AAAA").is_err());
    }

    #[test]
    fn a_key_that_is_not_ed25519_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k.pem");
        std::fs::write(&path, "not a key").expect("write");
        let err = Signer::load_or_create(&path).expect_err("refused");
        assert!(err.message.contains("is not usable") && err.help.contains("openssl genpkey"), "{err}");
    }
}
