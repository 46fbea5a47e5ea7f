//! A strict PEM reader: every block of a file with its label and line, and an
//! error that says what is wrong (empty, binary/DER, truncated, base64 broken,
//! text after the last block) and names the file and the line.
//!
//! Text before a block (openssl's `Bag Attributes`, `subject=` lines) is
//! allowed, as openssl allows it; text after the last block is not: it is
//! what a broken concatenation or a truncated copy leaves behind.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{PemError, read_bounded};

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label, e.g. `CERTIFICATE` or `PRIVATE KEY`.
    pub label: String,
    /// The 1-based line of its BEGIN line.
    pub line: usize,
    /// Whether a `Proc-Type: 4,ENCRYPTED` header marks it as passphrase-protected.
    pub encrypted: bool,
    /// The decoded DER bytes.
    pub der: Vec<u8>,
}

/// Reads `path` (bounded) and decodes every PEM block, in file order.
pub fn read_blocks(path: &Path, what: &str) -> Result<Vec<PemBlock>, PemError> {
    let bytes = read_bounded(path, what)?;
    if is_pkcs12(&bytes) {
        let name = path.display();
        return Err(PemError::content(format!(
            "{what} {name} is a PKCS#12 bundle (.p12/.pfx: certificate and key in one password-protected file), not PEM: split it with `openssl pkcs12 -in {name} -clcerts -nokeys -out client.crt` (the certificate chain) and `openssl pkcs12 -in {name} -nocerts -nodes -out client.key` (the key: keep it mode 0600), then point client_cert at client.crt and client_key at client.key (add `-legacy` if openssl 3 says the algorithm is unsupported)"
        )));
    }
    parse(&bytes).map_err(|why| PemError::content(format!("{what} {} {why}", path.display())))
}

/// Parses PEM text; the error completes "<what> <file> ...".
pub fn parse(bytes: &[u8]) -> Result<Vec<PemBlock>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("is empty: it should hold PEM text starting with a -----BEGIN line".to_string());
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(binary_hint(bytes));
    };
    if text.contains('\0') {
        return Err(binary_hint(bytes));
    }
    let mut blocks = Vec::new();
    // The open block: label, BEGIN line, encrypted header, base64 text.
    let mut open: Option<(String, usize, bool, String)> = None;
    let mut after_last: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        match open.as_mut() {
            None => {
                if let Some(rest) = line.strip_prefix("-----BEGIN ") {
                    let label = rest
                        .strip_suffix("-----")
                        .ok_or_else(|| format!("line {n}: the BEGIN line is malformed (`{}`)", excerpt(line)))?;
                    open = Some((label.to_string(), n, false, String::new()));
                    after_last = None;
                } else if line.starts_with("-----END") {
                    return Err(format!("line {n}: an END line without its BEGIN line"));
                } else if !line.is_empty() && !blocks.is_empty() && after_last.is_none() {
                    after_last = Some(n);
                }
            }
            Some((label, begin, encrypted, b64)) => {
                if line.starts_with("-----END") {
                    let want = format!("-----END {label}-----");
                    if line != want {
                        let why = if line.starts_with(&want) {
                            "is followed by other text on the same line (files joined without a newline?)"
                        } else {
                            "does not close the block"
                        };
                        return Err(format!(
                            "line {n}: `{}` {why}; the block opened on line {begin} ends with `{want}`",
                            excerpt(line)
                        ));
                    }
                    let der = STANDARD.decode(b64.as_bytes()).map_err(|e| {
                        format!(
                            "has a {label} block (line {begin}) whose base64 is broken ({e}): the file is truncated or was edited; copy it again from its source"
                        )
                    })?;
                    if der.is_empty() {
                        return Err(format!("has an empty {label} block (line {begin})"));
                    }
                    blocks.push(PemBlock { label: label.clone(), line: *begin, encrypted: *encrypted, der });
                    open = None;
                } else if line.starts_with("-----BEGIN") {
                    return Err(format!(
                        "line {n}: a BEGIN line inside the {label} block opened on line {begin}: that block has no END line (truncated?)"
                    ));
                } else if let Some((key, value)) = line.split_once(':') {
                    // RFC 1421 headers of legacy OpenSSL encrypted keys.
                    if key.trim() == "Proc-Type" && value.contains("ENCRYPTED") {
                        *encrypted = true;
                    }
                } else if let Some(bad) = line.chars().find(|c| !is_base64(*c)) {
                    return Err(format!(
                        "line {n}: `{}` is not base64 (character {bad:?}) inside the {label} block opened on line {begin}",
                        excerpt(line)
                    ));
                } else {
                    b64.push_str(line);
                }
            }
        }
    }
    if let Some((label, begin, ..)) = open {
        return Err(format!(
            "is truncated: the {label} block opened on line {begin} has no `-----END {label}-----` line; copy the file again from its source"
        ));
    }
    if blocks.is_empty() {
        return Err("is not PEM: it has no -----BEGIN line (a PEM file holds blocks like -----BEGIN CERTIFICATE-----)"
            .to_string());
    }
    if let Some(n) = after_last {
        return Err(format!(
            "has text after its last PEM block, from line {n}: remove everything after the last -----END line (a broken copy or concatenation?)"
        ));
    }
    Ok(blocks)
}

fn is_base64(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

fn excerpt(line: &str) -> String {
    let cut: String = line.chars().take(60).collect();
    if cut.len() < line.len() { format!("{cut}…") } else { cut }
}

/// Whether DER bytes are a PKCS#12 PFX: `SEQUENCE { INTEGER 3, ContentInfo { pkcs7-data | pkcs7-signedData, ... } ... }`.
pub fn is_pkcs12(bytes: &[u8]) -> bool {
    use x509_parser::der_parser::der::parse_der;
    let Ok((_, pfx)) = parse_der(bytes) else { return false };
    let Ok(items) = pfx.as_sequence() else { return false };
    let version_3 = items.first().and_then(|v| v.as_u32().ok()) == Some(3);
    let content_type = items
        .get(1)
        .and_then(|c| c.as_sequence().ok())
        .and_then(|c| c.first())
        .and_then(|o| o.as_oid().ok())
        .map(|o| o.to_id_string());
    version_3 && matches!(content_type.as_deref(), Some("1.2.840.113549.1.7.1" | "1.2.840.113549.1.7.2"))
}

fn binary_hint(bytes: &[u8]) -> String {
    if bytes.first() == Some(&0x30) {
        "is binary DER, not PEM text: convert it with `openssl x509 -inform der -in FILE -out FILE.pem` (for a certificate) or `openssl pkey -inform der -in FILE -out FILE.pem` (for a key)".to_string()
    } else {
        "is not PEM text (binary content): point it at the PEM file".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    #[test]
    fn reads_blocks_and_allows_text_before_them() {
        let text = format!("Bag Attributes\nsubject=CN = x\n{CERT}subject=CN = ca\n{CERT}\n\n");
        let blocks = parse(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].line, 3);
        assert_eq!(blocks[1].label, "CERTIFICATE");
    }

    #[test]
    fn names_each_kind_of_breakage() {
        let cases: &[(&str, &str)] = &[
            ("", "is empty"),
            ("hello", "is not PEM"),
            (&format!("{CERT}garbage"), "text after its last PEM block, from line 4"),
            ("-----BEGIN CERTIFICATE-----\nMIIB\n", "is truncated"),
            ("-----BEGIN CERTIFICATE-----\nMIIBx\n-----END CERTIFICATE-----\n", "base64 is broken"),
            ("-----BEGIN CERTIFICATE-----\nMI*B\n-----END CERTIFICATE-----\n", "is not base64"),
            (
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----------BEGIN CERTIFICATE-----\n",
                "files joined without a newline",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        assert!(parse(&[0x30, 0x82, 0x01, 0xff]).unwrap_err().contains("DER"));
    }

    #[test]
    fn marks_legacy_encrypted_keys() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMIIB\n-----END RSA PRIVATE KEY-----\n";
        assert!(parse(text.as_bytes()).unwrap()[0].encrypted);
    }
}
