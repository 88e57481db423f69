//! Metadata records: one JSON object per line for each message written or read, in the shape
//! aws-encryption-cli writes (so that tools parsing its records read keyward's unchanged):
//! `mode`, `input`, `output` and `header` (`algorithm` by its SDK name, `message_id`,
//! `encrypted_data_keys` sorted by provider id then provider info, byte strings in base64), and
//! on decrypt `header_auth` (`iv`, `tag`). Keys are sorted and separated as Python's
//! `json.dumps(..., sort_keys=True)` does, non-ASCII escaped, so a record of the same message is
//! the same line from either tool.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use keyward::format::MessageFormatVersion;
use keyward::{AlgorithmSuite, Header};
use serde_json::{Map, Value, json};

/// Each suite's name in the official SDKs' enumerations (`--algorithm` takes these too).
const SUITE_NAMES: [(u16, &str); 11] = [
    (0x0014, "AES_128_GCM_IV12_TAG16"),
    (0x0046, "AES_192_GCM_IV12_TAG16"),
    (0x0078, "AES_256_GCM_IV12_TAG16"),
    (0x0114, "AES_128_GCM_IV12_TAG16_HKDF_SHA256"),
    (0x0146, "AES_192_GCM_IV12_TAG16_HKDF_SHA256"),
    (0x0178, "AES_256_GCM_IV12_TAG16_HKDF_SHA256"),
    (0x0214, "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256"),
    (0x0346, "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384"),
    (0x0378, "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384"),
    (0x0478, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY"),
    (0x0578, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"),
];

/// A suite's official name.
pub(crate) fn suite_name(suite: AlgorithmSuite) -> &'static str {
    SUITE_NAMES
        .iter()
        .find(|(id, _)| *id == suite.id())
        .map_or("UNKNOWN", |(_, name)| name)
}

/// A suite by hexadecimal id (`0x0578`) or official name.
pub(crate) fn suite(text: &str) -> Result<AlgorithmSuite> {
    if let Some((id, _)) = SUITE_NAMES
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(text))
    {
        return Ok(AlgorithmSuite::from_id(*id)?);
    }
    let digits = text.trim_start_matches("0x").trim_start_matches("0X");
    let id = u16::from_str_radix(digits, 16).with_context(|| {
        format!("--suite {text:?} is neither a hexadecimal suite id nor a suite name")
    })?;
    Ok(AlgorithmSuite::from_id(id)?)
}

/// What a record says about the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Encrypt,
    Decrypt,
    DecryptUnsigned,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::DecryptUnsigned => "decrypt-unsigned",
        }
    }
}

fn b64(bytes: &[u8]) -> Value {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into()
}

/// A file as the record names it: absolute, standard input and output by their names.
pub(crate) fn display_path(path: &Path, stdio: &str) -> String {
    if path == Path::new("-") {
        return stdio.to_owned();
    }
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .to_string_lossy()
        .into_owned()
}

/// The `header` object of a record.
fn header_fields(header: &Header) -> Value {
    let v1 = header.version() == MessageFormatVersion::V1;
    let mut keys: Vec<_> = header.encrypted_data_keys().iter().collect();
    keys.sort_by(|a, b| {
        (a.provider_id().as_bytes(), a.provider_info())
            .cmp(&(b.provider_id().as_bytes(), b.provider_info()))
    });
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|edk| {
            json!({
                "encrypted_data_key": b64(edk.ciphertext()),
                "key_provider": {
                    "key_info": b64(edk.provider_info()),
                    "provider_id": b64(edk.provider_id().as_bytes()),
                },
            })
        })
        .collect();
    let context: Map<String, Value> = header
        .encryption_context()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    json!({
        "algorithm": suite_name(header.suite()),
        "commitment_key": header.commitment().map_or(Value::Null, |c| b64(c)),
        "content_type": header.content_type().byte(),
        "encrypted_data_keys": keys,
        "encryption_context": context,
        "frame_length": header.frame_length(),
        "header_iv_length": if v1 { json!(12) } else { Value::Null },
        "message_id": b64(header.message_id()),
        "type": if v1 { json!(128) } else { Value::Null },
        "version": if v1 { "1.0" } else { "2.0" },
    })
}

/// The record of one operation.
pub(crate) fn record(mode: Mode, input: &Path, output: &Path, header: &Header) -> Value {
    let mut record = json!({
        "mode": mode.name(),
        "input": display_path(input, "<stdin>"),
        "output": display_path(output, "<stdout>"),
        "header": header_fields(header),
    });
    if mode != Mode::Encrypt
        && let Some(fields) = record.as_object_mut()
    {
        fields.insert(
            "header_auth".into(),
            json!({ "iv": b64(header.auth_iv()), "tag": b64(header.auth_tag()) }),
        );
    }
    record
}

/// The record of a decryption skipped because the message lacks required context.
pub(crate) fn skipped_record(
    mode: Mode,
    input: &Path,
    output: &Path,
    header: &Header,
    missing_keys: &[String],
    missing_pairs: &[(String, String)],
) -> Value {
    let mut record = record(mode, input, output, header);
    if let Some(fields) = record.as_object_mut() {
        fields.insert("skipped".into(), true.into());
        fields.insert(
            "reason".into(),
            "Missing encryption context key or value".into(),
        );
        fields.insert(
            "missing_encryption_context_keys".into(),
            missing_keys
                .iter()
                .map(|k| Value::from(k.as_str()))
                .collect(),
        );
        fields.insert(
            "missing_encryption_context_pairs".into(),
            missing_pairs.iter().map(|(k, v)| json!([k, v])).collect(),
        );
    }
    record
}

/// Where records go: nowhere, standard output, or a file (appended to unless overwritten).
#[derive(Debug)]
pub(crate) enum Sink {
    None,
    Stdout,
    File(std::fs::File, PathBuf),
}

impl Sink {
    /// Opens the destination once per run: `-` is standard output; a file is appended to,
    /// or emptied first with `overwrite`.
    pub(crate) fn open(path: Option<&Path>, overwrite: bool) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Self::None);
        };
        if path == Path::new("-") {
            return Ok(Self::Stdout);
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true);
        if overwrite {
            options.write(true).truncate(true);
        } else {
            options.append(true);
        }
        let file = options
            .open(path)
            .with_context(|| format!("opening the metadata output {}", path.display()))?;
        Ok(Self::File(file, path.to_owned()))
    }

    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self, Self::Stdout)
    }

    /// Writes one record as one line.
    pub(crate) fn write(&mut self, record: &Value) -> Result<()> {
        let line = match self {
            Self::None => return Ok(()),
            _ => format!("{}\n", python_json(record)?),
        };
        match self {
            Self::None => Ok(()),
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line.as_bytes())?;
                out.flush()?;
                Ok(())
            }
            Self::File(file, path) => file
                .write_all(line.as_bytes())
                .with_context(|| format!("writing the metadata output {}", path.display())),
        }
    }
}

/// `value` as Python's `json.dumps(value, sort_keys=True)` writes it: `", "` and `": "`
/// separators, every non-ASCII character escaped.
pub(crate) fn python_json(value: &Value) -> Result<String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    serde::Serialize::serialize(&sorted(value), &mut serializer)?;
    match String::from_utf8(out) {
        Ok(text) => Ok(text),
        Err(_) => bail!("a metadata record is not UTF-8"),
    }
}

/// A copy with every object's keys in order (independent of serde_json's map features).
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        separator(writer, first)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        separator(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() {
                writer.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// Python's item separator: `", "` before every item but the first.
fn separator<W: ?Sized + std::io::Write>(writer: &mut W, first: bool) -> std::io::Result<()> {
    if first {
        Ok(())
    } else {
        writer.write_all(b", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_written_as_python_writes_them() {
        let value = json!({"b": [1, "é😀"], "a": {"y": null, "x": true}});
        assert_eq!(
            python_json(&value).unwrap(),
            r#"{"a": {"x": true, "y": null}, "b": [1, "\u00e9\ud83d\ude00"]}"#
        );
    }

    #[test]
    fn suites_by_id_or_name() {
        for (id, name) in SUITE_NAMES {
            let by_name = suite(name).unwrap();
            assert_eq!(by_name.id(), id);
            assert_eq!(suite(&format!("0x{id:04X}")).unwrap(), by_name);
            assert_eq!(suite_name(by_name), name);
        }
        assert!(suite("AES_512").is_err());
    }
}
